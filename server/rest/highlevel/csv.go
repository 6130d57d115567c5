package highlevel

// CSV import (server/csvimport): a file in HighLevel's bulk-upload
// template uploaded, given its accounts, reviewed row by row, finalized
// into posts, deleted with them.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/ent/job"
	"github.com/switchboardhq/switchboard/server/csvimport"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
)

// Answers of the upload (the document's 400 description is "Bad Request -
// File is required or CSV validation error").
var errNoFile = fail(http.StatusBadRequest, "File is required")

func csvInvalid(msg string) error { return fail(http.StatusBadRequest, "CSV validation error: "+msg) }

// maxUploadBody bounds an upload's request: the file and its multipart
// framing.
const maxUploadBody = csvimport.MaxFileBytes + 64<<10

// Defaults of the CSV pages.
const (
	csvDefaultLimit = 10
	csvMaxLimit     = 100
)

// POST /{locationId}/csv, multipart/form-data with the file in part
// "file": 201 with the name to give set-accounts. The file is read as it
// streams in; nothing is kept of a refused one.
func (h *handlers) uploadCSV(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return errNoFile
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return errNoFile
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return errNoFile
		}
		if err != nil {
			return uploadError(err)
		}
		if part.FormName() != "file" {
			continue
		}
		imp, err := h.Imports.Upload(r.Context(), part.FileName(), part)
		if err != nil {
			return uploadError(err)
		}
		return ok(w, http.StatusCreated, "File uploaded successfully", uploadResults{
			FilePath: csvimport.FilePath(imp.Job), RowsCount: imp.Rows, FileName: imp.FileName,
		})
	}
}

// uploadError words an upload's failure: a body or file over the limit
// is 413, a file that is not the template's CSV or a body that is not
// multipart 400.
func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	var fe *csvimport.FileError
	switch {
	case errors.As(err, &tooLarge), errors.Is(err, csvimport.ErrTooLarge):
		return fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("Payload Too Large: a CSV file holds at most %d bytes", csvimport.MaxFileBytes))
	case errors.As(err, &fe):
		return csvInvalid(fe.Message)
	case strings.Contains(err.Error(), "multipart"):
		return errNoFile
	}
	return err
}

// GET /{locationId}/csv?userId&skip&limit&includeUsers&isFromTemplate: the
// location's imports, newest first. Nothing is imported from HighLevel's
// template library, so isFromTemplate=true lists none.
func (h *handlers) listCSV(w http.ResponseWriter, r *http.Request) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	uid := strings.TrimSpace(q.Get("userId"))
	if uid == "" {
		return fail(http.StatusBadRequest, "userId is required")
	}
	if _, err := h.member(r.Context(), "userId", strings.ToLower(uid)); err != nil {
		return err
	}
	p, err := boundedPaging(q, csvDefaultLimit, csvMaxLimit)
	if err != nil {
		return err
	}
	out := csvsResults{CSVs: []csvJSON{}}
	if strings.EqualFold(q.Get("isFromTemplate"), "true") {
		return ok(w, http.StatusOK, "Fetched CSVs", out)
	}
	imps, total, err := h.Imports.List(r.Context(), p.Skip, p.Limit)
	if err != nil {
		return err
	}
	out.Count = total
	for _, imp := range imps {
		out.CSVs = append(out.CSVs, toCSVJSON(loc, imp))
	}
	if strings.EqualFold(q.Get("includeUsers"), "true") {
		ids := make([]string, len(out.CSVs))
		for i, c := range out.CSVs {
			ids[i] = c.CreatedBy
		}
		users, err := h.usersByObjectID(r.Context(), ids)
		if err != nil {
			return err
		}
		for i, c := range out.CSVs {
			out.CSVs[i].User = users[c.CreatedBy]
		}
	}
	return ok(w, http.StatusOK, "Fetched CSVs", out)
}

// POST /{locationId}/set-accounts: the upload named by filePath publishes
// to accountIds; its first rowsCount rows are kept and checked. 201 with
// the import.
func (h *handlers) setCSVAccounts(w http.ResponseWriter, r *http.Request) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	var in setAccountsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	switch {
	case len(in.AccountIDs) == 0:
		return unprocessable("accountIds should not be empty")
	case in.FilePath == nil || strings.TrimSpace(*in.FilePath) == "":
		return unprocessable("filePath must be a string")
	case in.RowsCount == nil:
		return unprocessable("rowsCount must be a number")
	case in.FileName == nil:
		return unprocessable("fileName must be a string")
	case in.UserID == nil:
		return unprocessable("userId must be a mongodb id")
	}
	if err := objectIDs("each value in accountIds", in.AccountIDs...); err != nil {
		return err
	}
	st := csvimport.Settings{FileName: *in.FileName, AccountIDs: in.AccountIDs, FileType: deref(in.CSVFileType)}
	for _, u := range []struct {
		field string
		id    *string
		to    *string
	}{{"userId", in.UserID, &st.UserID}, {"approver", in.Approver, &st.Approver}} {
		if u.id == nil || *u.id == "" {
			continue
		}
		if _, err := h.member(r.Context(), u.field, strings.ToLower(*u.id)); err != nil {
			return err
		}
		*u.to = strings.ToLower(*u.id)
	}
	imp, err := h.Imports.SetAccounts(r.Context(), csvimport.SetAccountsInput{FilePath: *in.FilePath, Settings: st, RowsCount: *in.RowsCount})
	if err != nil {
		return csvError(err)
	}
	return ok(w, http.StatusCreated, "Accounts set successfully", csvResults{CSV: toCSVJSON(loc, imp)})
}

// GET /{locationId}/csv/{id}?skip&limit: the import with a page of its
// posts, each with its errorMessage.
func (h *handlers) getCSV(w http.ResponseWriter, r *http.Request) error {
	loc, id, err := locationAndID(r, "id")
	if err != nil {
		return err
	}
	p, err := boundedPaging(r.URL.Query(), csvDefaultLimit, csvMaxLimit)
	if err != nil {
		return err
	}
	imp, rows, err := h.Imports.Get(r.Context(), id, p.Skip, p.Limit)
	if err != nil {
		return csvError(err)
	}
	out := csvPostsResults{CSV: toCSVJSON(loc, imp), Count: imp.Rows, Posts: make([]csvPostJSON, len(rows))}
	for i, row := range rows {
		out.Posts[i] = toCSVPostJSON(imp, row)
	}
	return ok(w, http.StatusOK, "Fetched CSV", out)
}

// PATCH /{locationId}/csv/{id} {userId}: every valid post of the import
// is created and scheduled, in one transaction.
func (h *handlers) finalizeCSV(w http.ResponseWriter, r *http.Request) error {
	loc, id, err := locationAndID(r, "id")
	if err != nil {
		return err
	}
	var in finalizeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.UserID == nil {
		return unprocessable("userId must be a mongodb id")
	}
	uid := strings.ToLower(*in.UserID)
	if _, err := h.member(r.Context(), "userId", uid); err != nil {
		return err
	}
	imp, err := h.Imports.Finalize(r.Context(), id, uid, csvPostDetails)
	if err != nil {
		return csvError(err)
	}
	return ok(w, http.StatusOK, "CSV finalized successfully", csvResults{CSV: toCSVJSON(loc, imp)})
}

// csvPostDetails keeps, for a post an import writes, what the post routes
// keep of a created post (storedPost), so it reads like one: the row's
// watermark, Google Business Profile and TikTok columns land where
// applyWatermark, gmbPostDetails and tiktokPostDetails do.
func csvPostDetails(in *posts.PlanInput, ex csvimport.Extras, st csvimport.Settings) {
	stored := storedPost{Type: string(in.Format), CreatedBy: st.UserID, UserID: st.UserID}
	if st.Approver != "" && in.Approval {
		stored.PostApprovalDetails, _ = json.Marshal(map[string]string{"approver": st.Approver})
	}
	d := in.Details
	if d.YouTubeTitle != "" || d.YouTubePrivacy != "" {
		stored.YouTube, _ = json.Marshal(youtubeDetails{Title: d.YouTubeTitle, Type: d.YouTubeType, PrivacyLevel: d.YouTubePrivacy})
	}
	if len(d.PinterestBoards) > 0 {
		stored.Pinterest, _ = json.Marshal(pinterestDetails{BoardIDs: d.PinterestBoards})
	}
	stored.ApplyWatermark = ex.Watermark
	if g := ex.GBP; g != (csvimport.GBPDetails{}) {
		stored.GMB, _ = json.Marshal(gmbDetails{EventType: g.EventType, ActionType: g.ActionType})
	}
	if t := ex.TikTok; t.Given() {
		stored.TikTok, _ = json.Marshal(tiktokDetails{PrivacyLevel: t.PrivacyLevel, EnableComment: t.EnableComment,
			EnableDuet: t.EnableDuet, EnableStitch: t.EnableStitch, VideoDisclosure: t.VideoDisclosure,
			PromoteYourBrand: t.PromoteYourBrand, PromoteOtherBrand: t.PromoteOther})
	}
	in.Extra = func(media []posts.Media) (json.RawMessage, error) {
		stored.Media = make([]mediaJSON, len(media))
		for i, m := range media {
			stored.Media[i] = mediaJSON{Media: posts.Media{URL: m.URL, Type: m.Type}}
		}
		raw, err := json.Marshal(stored)
		if err != nil {
			return nil, fmt.Errorf("encode post details: %w", err)
		}
		return raw, nil
	}
}

// DELETE /{locationId}/csv/{id}: the import and every post it created.
func (h *handlers) deleteCSV(w http.ResponseWriter, r *http.Request) error {
	loc, id, err := locationAndID(r, "id")
	if err != nil {
		return err
	}
	imp, err := h.Imports.Delete(r.Context(), id)
	if err != nil {
		return csvError(err)
	}
	return ok(w, http.StatusOK, "CSV deleted successfully", csvResults{CSV: toCSVJSON(loc, imp)})
}

// DELETE /{locationId}/csv/{csvId}/post/{postId}: one post of an import
// (its _id in the import), and the post it became.
func (h *handlers) deleteCSVPost(w http.ResponseWriter, r *http.Request) error {
	csvID, err := pathObjectID(r, "csvId")
	if err != nil {
		return err
	}
	postID, err := pathObjectID(r, "postId")
	if err != nil {
		return err
	}
	if err := h.Imports.DeleteRow(r.Context(), csvID, postID); err != nil {
		return csvError(err)
	}
	return ok(w, http.StatusOK, "CSV post deleted successfully", deletePostResults{PostID: postID})
}

// csvError shows what the import domain did not find by its own name
// ("CSV not found", "CSV post not found", "File not found") and a
// conflict (an import finalized already, a post being published) as a
// 400.
func csvError(err error) error {
	if errors.Is(err, errs.ErrNotFound) {
		if msg, ok := errs.PublicMessage(err); ok {
			return fail(http.StatusNotFound, msg)
		}
	}
	return planError(err)
}

// csvStatuses are HighLevel's names of an import's states.
var csvStatuses = map[job.Status]string{
	job.StatusPENDING: "uploaded", job.StatusPROCESSING: "pending",
	job.StatusSUCCESS: "completed", job.StatusPARTIAL: "partial", job.StatusFAILED: "failed",
	job.StatusCANCELLED: "failed",
}

func toCSVJSON(loc Location, imp *csvimport.Import) csvJSON {
	out := csvJSON{
		ID: imp.ObjectID, LocationID: loc.ID, FileName: imp.FileName, AccountIDs: imp.AccountIDs,
		File: csvimport.FilePath(imp.Job), Status: csvStatuses[imp.Status], Count: imp.Rows,
		CreatedBy: imp.UserID, Approver: imp.Approver, CSVFileType: imp.FileType,
		Posted: imp.Succeeded, Failed: imp.Failed,
		CreatedAt: jsTime(imp.CreatedAt), UpdatedAt: jsTime(imp.UpdatedAt),
	}
	if out.AccountIDs == nil {
		out.AccountIDs = []string{}
	}
	return out
}

func toCSVPostJSON(imp *csvimport.Import, row csvimport.Row) csvPostJSON {
	in := row.Plan
	out := csvPostJSON{
		ID: row.ObjectID, Row: row.Row, PostID: row.PostID, AccountIDs: imp.AccountIDs,
		Link: row.Cell(csvimport.ColLink), Summary: row.Cell(csvimport.ColContent),
		FollowUpComment: in.FirstComment, Type: string(in.Format), Medias: make([]csvMediaJSON, len(in.Media)),
		ErrorMessage: rowError(row.Error),
	}
	if out.AccountIDs == nil {
		out.AccountIDs = []string{}
	}
	for i, m := range in.Media {
		out.Medias[i] = csvMediaJSON{URL: m.URL, Type: m.Type}
	}
	if in.ScheduledAt != nil {
		t := jsTime(*in.ScheduledAt)
		out.ScheduleDate = &t
	}
	return out
}

// rowError words a row's error ("field: message", as the domain keeps
// it) with the document's field names, as renderError words a 422.
func rowError(e string) string {
	field, msg, ok := strings.Cut(e, ": ")
	if !ok || strings.ContainsAny(field, " ") {
		return e
	}
	return docField(field) + " " + msg
}
