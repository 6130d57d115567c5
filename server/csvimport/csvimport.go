// Package csvimport owns CSV imports of posts (HighLevel's bulk upload): a
// file in HighLevel's bulk-upload template is read into staged rows, the
// accounts it publishes to are set, each row is validated exactly as the
// posts domain validates a planned post (its reason kept beside it), and
// finalizing writes every valid row as a post in one transaction
// (posts.PlanAllTx, source CSV); the scheduler then publishes them like any
// other post. An import is a Job of kind CSV_IMPORT; its rows are
// ImportRows.
//
//	upload ─▶ PENDING ──set accounts──▶ PROCESSING ──finalize──▶ SUCCESS | PARTIAL
//	(rows staged)        (rows checked)             (posts written)
//
// Limits keep a client from growing unbounded state: a file holds at most
// MaxFileBytes and MaxRows posts, at most MaxWaitingUploads uploads wait
// for their accounts (a newer upload replaces the oldest), and at most
// MaxOpenImports imports wait to be finalized.
package csvimport

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/importrow"
	"github.com/switchboardhq/switchboard/ent/job"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Limits of an import.
const (
	// MaxFileBytes bounds an uploaded file.
	MaxFileBytes = 5 << 20
	// MaxRows bounds the posts of one file.
	MaxRows = 5000
	// MaxWaitingUploads bounds the uploads of a workspace whose accounts
	// are not set; a newer upload replaces the oldest.
	MaxWaitingUploads = 10
	// MaxOpenImports bounds the imports of a workspace waiting to be
	// finalized; another is refused until one is finalized or deleted.
	MaxOpenImports = 10
	// MaxLimit bounds a page of imports or rows.
	MaxLimit = 500
)

// rowBatch bounds the rows one INSERT writes (SQLite's statement
// parameters).
const rowBatch = 1000

// Service manages CSV imports.
type Service struct {
	client *ent.Client
	driver store.Driver
	posts  *posts.Service
	bus    events.Bus
	now    func() time.Time
}

// NewService returns an import service writing posts through ps; now is
// its clock (nil: time.Now).
func NewService(client *ent.Client, d store.Driver, ps *posts.Service, bus events.Bus, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, driver: d, posts: ps, bus: bus, now: now}
}

// FileError is a file that cannot be imported (not CSV, not the
// template's columns, no rows, too many); it is an errs.ErrInvalid.
type FileError struct{ Message string }

func (e *FileError) Error() string        { return e.Message }
func (e *FileError) Is(target error) bool { return target == errs.ErrInvalid }

func fileError(format string, args ...any) error {
	return &FileError{Message: fmt.Sprintf(format, args...)}
}

// ErrTooLarge is a file over MaxFileBytes.
var ErrTooLarge = &FileError{Message: fmt.Sprintf("the file is larger than %d bytes", MaxFileBytes)}

// Settings are what set-accounts gives an import: the accounts its posts
// publish to, who imports it and who approves its posts.
type Settings struct {
	FileName   string
	AccountIDs []string // ObjectIds
	UserID     string   // ObjectId of the member importing
	// Approver, when set, is the member who approves the posts: they are
	// created in review.
	Approver string
	FileType string
}

// Import is an import with its settings.
type Import struct {
	*ent.Job
	Settings
	// Rows counts the import's rows.
	Rows int
}

// Row is a staged row with the post it describes.
type Row struct {
	*ent.ImportRow
	// Plan is the post the row describes for the import's settings (as
	// far as its cells could be read).
	Plan posts.PlanInput
	// Extras are the settings the post keeps for its face.
	Extras Extras
	// PostID is the ObjectId of the post it became, once finalized.
	PostID string
}

// Cell returns the row's value in column key (a Col constant).
func (r Row) Cell(key string) string { return r.Values[key] }

// Upload reads a CSV file in HighLevel's bulk-upload template and stages
// its rows as a new import waiting for its accounts. A file that is not
// CSV, has other columns, no rows or more than MaxRows is a *FileError;
// rows are not validated until their accounts are set.
func (s *Service) Upload(ctx context.Context, fileName string, file io.Reader) (*Import, error) {
	rows, err := readFile(&limitReader{r: file, left: MaxFileBytes})
	if err != nil {
		return nil, err
	}
	fileName = strings.TrimSpace(fileName)
	if fileName == "" {
		fileName = "posts.csv"
	}
	var out *Import
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := s.lockWorkspace(ctx, tx); err != nil {
			return err
		}
		// The oldest uploads nobody set accounts for make room.
		waiting, err := tx.Job.Query().Where(job.KindEQ(job.KindCSV_IMPORT), job.StatusEQ(job.StatusPENDING)).
			Order(ent.Desc(job.FieldID)).Offset(MaxWaitingUploads - 1).IDs(ctx)
		if err != nil {
			return fmt.Errorf("read waiting uploads: %w", err)
		}
		if len(waiting) > 0 {
			if err := s.remove(ctx, tx, waiting...); err != nil {
				return err
			}
		}
		j, err := tx.Job.Create().SetKind(job.KindCSV_IMPORT).SetTotal(len(rows)).
			SetParams(Settings{FileName: fileName}.params()).Save(ctx)
		if err != nil {
			return fmt.Errorf("create import: %w", err)
		}
		for start := 0; start < len(rows); start += rowBatch {
			batch := rows[start:min(start+rowBatch, len(rows))]
			creates := make([]*ent.ImportRowCreate, len(batch))
			for i, r := range batch {
				creates[i] = tx.ImportRow.Create().SetJobID(j.ID).SetRow(start + i + 1).SetValues(r)
			}
			if err := tx.ImportRow.CreateBulk(creates...).Exec(ctx); err != nil {
				return fmt.Errorf("stage rows: %w", err)
			}
		}
		s.announce(tx, j, events.OpCreated)
		out = &Import{Job: j, Settings: Settings{FileName: fileName}, Rows: len(rows)}
		return nil
	})
	return settled(out, "upload csv", err)
}

// settled is the import a transaction made, its job unwrapped from the
// transaction, or the transaction's error with what was being done.
func settled(out *Import, doing string, err error) (*Import, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	out.Job = out.Job.Unwrap()
	return out, nil
}

// announce tells subscribers, once tx commits, that import j changed.
func (s *Service) announce(tx *ent.Tx, j *ent.Job, op string) {
	s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicJob, WorkspaceID: j.WorkspaceID, ID: j.ID, Op: op})
}

// lockWorkspace serializes the transactions that count and add the
// viewer's imports, so two at once cannot both find room.
func (s *Service) lockWorkspace(ctx context.Context, tx *ent.Tx) error {
	v := viewer.FromContext(ctx)
	if v == nil {
		return errs.ErrUnauthenticated
	}
	return s.driver.LockTx(ctx, tx, fmt.Sprintf("csv imports %d", v.WorkspaceID))
}

// readFile reads the file's rows as cells by column key: the header must
// name the template's columns (postAtSpecificTime and content at least,
// no other), every row must have the header's width, and rows whose
// cells are all empty (a spreadsheet's trailing lines) are left out.
func readFile(file io.Reader) ([]map[string]string, error) {
	cr := csv.NewReader(file)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileError("the file is empty")
	}
	if err != nil {
		return nil, csvError(err)
	}
	keys := make([]string, len(header))
	for i, h := range header {
		name := headerName(h)
		key, ok := columnKeys[strings.ToLower(name)]
		switch {
		case !ok:
			return nil, fileError("unknown column %q (the template's columns are %s)", name, strings.Join(columnNames, ", "))
		case slices.Contains(keys, key):
			return nil, fileError("column %q appears twice", name)
		}
		keys[i] = key
	}
	for _, req := range []string{ColDate, ColContent} {
		if !slices.Contains(keys, req) {
			return nil, fileError("the column %q is required", req)
		}
	}
	var rows []map[string]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		if blank(rec) {
			continue
		}
		if len(rows) == MaxRows {
			return nil, fileError("the file has more than %d posts", MaxRows)
		}
		r := make(map[string]string, len(rec))
		for i, v := range rec {
			if v = strings.TrimSpace(v); v != "" {
				r[keys[i]] = v
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fileError("the file has no posts")
	}
	return rows, nil
}

// csvError words a reading error: a file over the limit, where the CSV is
// malformed, or the reader's own error (a request body cut short).
func csvError(err error) error {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, ErrTooLarge):
		return ErrTooLarge
	case errors.As(err, &pe):
		return fileError("line %d: %v", pe.Line, pe.Err)
	}
	return fmt.Errorf("read csv: %w", err)
}

// limitReader reads r until left bytes are read, then fails with
// ErrTooLarge (io.LimitReader's EOF would pass a cut file as whole).
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// headerName is a header cell without a byte-order mark and the
// template's format hint ("postAtSpecificTime (yyyy-MM-dd HH:mm:ss)").
func headerName(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	if i := strings.Index(h, "("); i > 0 {
		h = h[:i]
	}
	return strings.TrimSpace(h)
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func (st Settings) params() map[string]any {
	p := map[string]any{"fileName": st.FileName}
	if st.AccountIDs != nil {
		p["accountIds"] = st.AccountIDs
	}
	for k, v := range map[string]string{"userId": st.UserID, "approver": st.Approver, "fileType": st.FileType} {
		if v != "" {
			p[k] = v
		}
	}
	return p
}

func settingsOf(j *ent.Job) Settings {
	str := func(k string) string { v, _ := j.Params[k].(string); return v }
	st := Settings{FileName: str("fileName"), UserID: str("userId"), Approver: str("approver"), FileType: str("fileType")}
	switch ids := j.Params["accountIds"].(type) {
	case []string:
		st.AccountIDs = ids
	case []any:
		for _, id := range ids {
			if s, ok := id.(string); ok {
				st.AccountIDs = append(st.AccountIDs, s)
			}
		}
	}
	return st
}

// FilePath is how an upload is named until its accounts are set (the
// document's filePath): the import's ObjectId. The file itself is not
// kept; its rows are.
func FilePath(j *ent.Job) string { return j.ObjectID }

// SetAccountsInput gives an upload its accounts.
type SetAccountsInput struct {
	// FilePath is the upload's, as Upload named it.
	FilePath string
	Settings
	// RowsCount is how many posts of the file to import, from the first:
	// between 1 and the file's rows.
	RowsCount int
}

// SetAccounts makes an upload an import publishing to the accounts:
// the rows past RowsCount are dropped and each kept row is validated as
// the post it describes, its error kept beside it. The accounts must be
// the workspace's; the upload must not have its accounts already.
func (s *Service) SetAccounts(ctx context.Context, in SetAccountsInput) (*Import, error) {
	oid := strings.TrimSpace(in.FilePath)
	if !schema.IsObjectID(oid) {
		return nil, fmt.Errorf("set accounts: %w", errs.NotFound("File"))
	}
	if len(in.AccountIDs) == 0 {
		return nil, errs.Invalid("accountIds", "should not be empty")
	}
	ids := make([]string, len(in.AccountIDs))
	for i, id := range in.AccountIDs {
		ids[i] = strings.ToLower(id)
	}
	in.AccountIDs = slices.Compact(slices.Sorted(slices.Values(ids)))
	var out *Import
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := s.lockWorkspace(ctx, tx); err != nil {
			return err
		}
		j, err := s.lock(ctx, tx, oid)
		if err != nil {
			return errs.FromEnt(err, "File")
		}
		if j.Status != job.StatusPENDING {
			return errs.Conflict("The accounts of this CSV are already set")
		}
		if in.RowsCount < 1 || in.RowsCount > j.Total {
			return errs.Invalid("rowsCount", "must be between 1 and %d", j.Total)
		}
		n, err := tx.Account.Query().Where(account.ObjectIDIn(in.AccountIDs...)).Count(ctx)
		if err != nil {
			return fmt.Errorf("look up accounts: %w", err)
		}
		if n != len(in.AccountIDs) {
			return errs.Invalid("accountIds", "must be connected accounts of the location")
		}
		open, err := tx.Job.Query().Where(job.KindEQ(job.KindCSV_IMPORT), job.StatusEQ(job.StatusPROCESSING)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count open imports: %w", err)
		}
		if open >= MaxOpenImports {
			return errs.Conflict("%d CSV imports are waiting to be finalized; finalize or delete one first", open)
		}
		if _, err := tx.ImportRow.Delete().Where(importrow.JobID(j.ID), importrow.RowGT(in.RowsCount)).Exec(ctx); err != nil {
			return fmt.Errorf("drop rows past rowsCount: %w", err)
		}
		st := in.Settings
		if st.FileName == "" {
			st.FileName = settingsOf(j).FileName
		}
		if j, err = tx.Job.UpdateOne(j).SetStatus(job.StatusPROCESSING).SetTotal(in.RowsCount).
			SetParams(st.params()).SetStartedAt(s.now()).Save(ctx); err != nil {
			return fmt.Errorf("set accounts: %w", err)
		}
		rows, _, err := s.check(ctx, tx, j, st)
		if err != nil {
			return err
		}
		s.announce(tx, j, events.OpUpdated)
		out = &Import{Job: j, Settings: st, Rows: len(rows)}
		return nil
	})
	return settled(out, "set accounts", err)
}

// lock reads the import oid, locked until tx ends.
func (s *Service) lock(ctx context.Context, tx *ent.Tx, oid string) (*ent.Job, error) {
	return store.LockRows(s.driver, tx.Job.Query().
		Where(job.ObjectID(strings.ToLower(oid)), job.KindEQ(job.KindCSV_IMPORT)), store.LockWait).Only(ctx)
}

// check validates every row of j as the post it describes, through the
// posts domain, and stores each row's error where it changed. It returns
// the rows with their plans and errors.
func (s *Service) check(ctx context.Context, tx *ent.Tx, j *ent.Job, st Settings) ([]Row, []error, error) {
	staged, err := tx.ImportRow.Query().Where(importrow.JobID(j.ID)).Order(importrow.ByRow()).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read rows: %w", err)
	}
	cats, err := categories(ctx, tx, staged)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]Row, len(staged))
	problems := make([]error, len(staged))
	var ins []posts.PlanInput
	var at []int
	for i, r := range staged {
		rows[i] = Row{ImportRow: r}
		rows[i].Plan, rows[i].Extras, problems[i] = planOf(r.Values, st, cats)
		if problems[i] == nil {
			ins = append(ins, rows[i].Plan)
			at = append(at, i)
		}
	}
	checked, err := s.posts.CheckAllTx(ctx, tx, ins)
	if err != nil {
		return nil, nil, err
	}
	for k, e := range checked {
		problems[at[k]] = e
	}
	for i, r := range rows {
		msg := ""
		if problems[i] != nil {
			if !errors.Is(problems[i], errs.ErrInvalid) {
				return nil, nil, problems[i]
			}
			msg = problems[i].Error()
		}
		if msg != r.Error {
			if err := tx.ImportRow.UpdateOneID(r.ID).SetError(msg).Exec(ctx); err != nil {
				return nil, nil, fmt.Errorf("record row %d's error: %w", r.Row, err)
			}
			rows[i].Error = msg
		}
	}
	return rows, problems, nil
}

// categories maps the category names the rows give to the workspace's
// categories' ObjectIds.
func categories(ctx context.Context, tx *ent.Tx, rows []*ent.ImportRow) (map[string]string, error) {
	var names []string
	for _, r := range rows {
		if n := r.Values[ColCategory]; n != "" {
			names = append(names, n)
		}
	}
	out := map[string]string{}
	if len(names) == 0 {
		return out, nil
	}
	cs, err := tx.Category.Query().Where(category.NameIn(slices.Compact(slices.Sorted(slices.Values(names)))...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up categories: %w", err)
	}
	for _, c := range cs {
		out[c.Name] = c.ObjectID
	}
	return out, nil
}

// Finalize writes every valid row of an import as a post, in one
// transaction: rows are validated again (an account may have gone since
// they were checked), the valid ones planned through posts.PlanAllTx
// (source CSV; scheduled at their date, a draft without one, in review
// when the import names an approver) and the invalid ones keep their
// error. The import ends SUCCESS, or PARTIAL when rows were left out; an
// import without a valid row is refused. extra, if set, completes each
// post with what the face keeps of it (posts.PlanInput.Extra), the row's
// extras among it.
func (s *Service) Finalize(ctx context.Context, oid, userID string, extra func(in *posts.PlanInput, ex Extras, st Settings)) (*Import, error) {
	var out *Import
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		j, err := s.lock(ctx, tx, oid)
		if err != nil {
			return errs.FromEnt(err, "CSV")
		}
		switch j.Status {
		case job.StatusPENDING:
			return errs.Conflict("Set the accounts of this CSV before finalizing it")
		case job.StatusPROCESSING:
		default:
			return errs.Conflict("This CSV is already finalized")
		}
		st := settingsOf(j)
		if userID != "" {
			st.UserID = strings.ToLower(userID)
		}
		rows, problems, err := s.check(ctx, tx, j, st)
		if err != nil {
			return err
		}
		var ins []posts.PlanInput
		var valid []Row
		for i, r := range rows {
			if problems[i] != nil {
				continue
			}
			in := r.Plan
			if extra != nil {
				extra(&in, r.Extras, st)
			}
			ins = append(ins, in)
			valid = append(valid, r)
		}
		if len(ins) == 0 {
			return errs.Conflict("The CSV has no valid post to schedule")
		}
		ps, err := s.posts.PlanAllTx(ctx, tx, ins)
		if err != nil {
			return err
		}
		for i, p := range ps {
			if err := tx.ImportRow.UpdateOneID(valid[i].ID).SetPostID(p.ID).Exec(ctx); err != nil {
				return fmt.Errorf("link row %d to its post: %w", valid[i].Row, err)
			}
		}
		status := job.StatusSUCCESS
		if len(ps) < len(rows) {
			status = job.StatusPARTIAL
		}
		if j, err = tx.Job.UpdateOne(j).SetStatus(status).SetParams(st.params()).
			SetProcessed(len(rows)).SetSucceeded(len(ps)).SetFailed(len(rows) - len(ps)).
			SetFinishedAt(s.now()).Save(ctx); err != nil {
			return fmt.Errorf("finish import: %w", err)
		}
		s.announce(tx, j, events.OpUpdated)
		out = &Import{Job: j, Settings: st, Rows: len(rows)}
		return nil
	})
	return settled(out, "finalize csv", err)
}

// List returns a page of the workspace's imports (those with their
// accounts set), newest first, and how many there are.
func (s *Service) List(ctx context.Context, skip, limit int) ([]*Import, int, error) {
	q := s.client.Job.Query().Where(job.KindEQ(job.KindCSV_IMPORT), job.StatusNEQ(job.StatusPENDING))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count imports: %w", err)
	}
	js, err := q.Order(ent.Desc(job.FieldID)).Offset(skip).Limit(min(max(limit, 1), MaxLimit)).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list imports: %w", err)
	}
	out := make([]*Import, len(js))
	for i, j := range js {
		out[i] = &Import{Job: j, Settings: settingsOf(j), Rows: j.Total}
	}
	return out, total, nil
}

// Get returns an import (with its accounts set) and a page of its rows in
// file order, each with the post it describes and, once finalized, the
// post it became.
func (s *Service) Get(ctx context.Context, oid string, skip, limit int) (*Import, []Row, error) {
	j, err := s.client.Job.Query().Where(job.ObjectID(strings.ToLower(oid)), job.KindEQ(job.KindCSV_IMPORT),
		job.StatusNEQ(job.StatusPENDING)).Only(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("get csv: %w", errs.FromEnt(err, "CSV"))
	}
	imp := &Import{Job: j, Settings: settingsOf(j)}
	q := s.client.ImportRow.Query().Where(importrow.JobID(j.ID))
	if imp.Rows, err = q.Clone().Count(ctx); err != nil {
		return nil, nil, fmt.Errorf("count rows: %w", err)
	}
	staged, err := q.WithPost(func(q *ent.PostQuery) { q.Select(post.FieldID, post.FieldObjectID) }).
		Order(importrow.ByRow()).Offset(skip).Limit(min(max(limit, 1), MaxLimit)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read rows: %w", err)
	}
	rows := make([]Row, len(staged))
	for i, r := range staged {
		rows[i] = Row{ImportRow: r}
		// Category names are not resolved for display.
		rows[i].Plan, rows[i].Extras, _ = planOf(r.Values, imp.Settings, nil)
		if p := r.Edges.Post; p != nil {
			rows[i].PostID = p.ObjectID
		}
	}
	return imp, rows, nil
}

// Delete removes an import, its rows and the posts it created (through
// posts.RemoveTx: they become deleted and their waiting tasks are
// cancelled), in one transaction. A post being published refuses it.
func (s *Service) Delete(ctx context.Context, oid string) (*Import, error) {
	var out *Import
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		j, err := s.lock(ctx, tx, oid)
		if err != nil {
			return errs.FromEnt(err, "CSV")
		}
		out = &Import{Job: j, Settings: settingsOf(j), Rows: j.Total}
		return s.remove(ctx, tx, j.ID)
	})
	return settled(out, "delete csv", err)
}

// remove deletes the imports ids with their rows and posts.
func (s *Service) remove(ctx context.Context, tx *ent.Tx, ids ...int) error {
	oids, err := tx.ImportRow.Query().Where(importrow.JobIDIn(ids...), importrow.PostIDNotNil()).
		QueryPost().Select(post.FieldObjectID).Strings(ctx)
	if err != nil {
		return fmt.Errorf("read the imports' posts: %w", err)
	}
	if err := s.removePosts(ctx, tx, oids); err != nil {
		return err
	}
	if _, err := tx.ImportRow.Delete().Where(importrow.JobIDIn(ids...)).Exec(ctx); err != nil {
		return fmt.Errorf("delete rows: %w", err)
	}
	js, err := tx.Job.Query().Where(job.IDIn(ids...)).All(ctx)
	if err != nil {
		return fmt.Errorf("read imports: %w", err)
	}
	if _, err := tx.Job.Delete().Where(job.IDIn(ids...)).Exec(ctx); err != nil {
		return fmt.Errorf("delete imports: %w", err)
	}
	for _, j := range js {
		s.announce(tx, j, events.OpDeleted)
	}
	return nil
}

func (s *Service) removePosts(ctx context.Context, tx *ent.Tx, oids []string) error {
	if len(oids) == 0 {
		return nil
	}
	_, err := s.posts.RemoveTx(ctx, tx, oids)
	if errors.Is(err, posts.ErrNoneFound) {
		return nil
	}
	return err
}

// DeleteRow removes one row of an import and, once finalized, the post it
// became (posts.RemoveTx), in one transaction.
func (s *Service) DeleteRow(ctx context.Context, importOID, rowOID string) error {
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		j, err := s.lock(ctx, tx, importOID)
		if err != nil {
			return errs.FromEnt(err, "CSV")
		}
		r, err := tx.ImportRow.Query().Where(importrow.JobID(j.ID), importrow.ObjectID(strings.ToLower(rowOID))).
			WithPost(func(q *ent.PostQuery) { q.Select(post.FieldID, post.FieldObjectID) }).Only(ctx)
		if err != nil {
			return errs.FromEnt(err, "CSV post")
		}
		if p := r.Edges.Post; p != nil {
			if err := s.removePosts(ctx, tx, []string{p.ObjectID}); err != nil {
				return err
			}
		}
		if err := tx.ImportRow.DeleteOne(r).Exec(ctx); err != nil {
			return fmt.Errorf("delete row: %w", err)
		}
		u := tx.Job.UpdateOne(j).SetTotal(max(j.Total-1, 0))
		if r.PostID != nil && j.Succeeded > 0 {
			u.AddSucceeded(-1)
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("count rows: %w", err)
		}
		s.announce(tx, j, events.OpUpdated)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete csv post: %w", err)
	}
	return nil
}
