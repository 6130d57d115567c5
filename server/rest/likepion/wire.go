package likepion

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// Wire structs: field names and order exactly as the document shows them.

// link is one task of "1. Lấy danh sách task" (and "2. Lấy chi tiết task").
type link struct {
	ID          string  `json:"id"`
	RequestID   string  `json:"request_id"`
	AccountID   string  `json:"account_id"`
	Domain      string  `json:"domain"`
	Website     string  `json:"website"`
	Email       string  `json:"email"`
	Username    string  `json:"username"`
	Password    string  `json:"password"`
	PassMail    string  `json:"pass_mail"`
	Twofa       string  `json:"twofa"`
	AppPassword string  `json:"app_password"`
	Cookie      string  `json:"cookie"`
	Title       string  `json:"title"`
	About       string  `json:"about"`
	Images      []image `json:"images"`
}

type image struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// accountView is "6. Lấy chi tiết tài khoản". The document shows cookie
// last ("luôn cuối"), after the timestamps.
type accountView struct {
	ID            string `json:"id"`
	PostID        string `json:"post_id"`
	RegisterID    string `json:"register_id"`
	GroupID       string `json:"group_id"`
	SiteID        string `json:"site_id"`
	SiteName      string `json:"site_name"`
	Status        string `json:"status"`
	PostingStatus string `json:"posting_status"`
	PostTaskID    string `json:"post_task_id"`
	PostLink      string `json:"post_link"`
	Email         string `json:"email"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	PassMail      string `json:"pass_mail"`
	Twofa         string `json:"twofa"`
	AppPassword   string `json:"app_password"`
	LinkProfile   string `json:"link_profile"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
	LastUsedAt    string `json:"last_used_at"`
	Cookie        string `json:"cookie"`
}

// completeBody is "4. Báo hoàn thành".
type completeBody struct {
	LinkPost string `json:"link_post"`
}

// failBody is "5. Báo thất bại".
type failBody struct {
	ErrorMessage string `json:"error_message"`
}

type dataResponse struct {
	Success bool `json:"success"`
	Data    any  `json:"data"`
}

type okResponse struct {
	Success bool `json:"success"`
}

type updatedResponse struct {
	Success bool     `json:"success"`
	Updated []string `json:"updated"`
}

// timeLayout is the document's ISO 8601 form, "2026-04-28T13:05:58+0700".
const timeLayout = "2006-01-02T15:04:05-0700"

// formatTime renders t in UTC in the document's layout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// errEmptyBody is what readJSON returns for a body with nothing in it.
var errEmptyBody = errors.New("empty body")

// readJSON decodes the request's JSON body into dst, reading at most
// maxBody bytes. An empty (or all-whitespace) body is errEmptyBody; a body
// that is not one JSON value of dst's shape is errBadJSON.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return errBadJSON // the client went away mid-body
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return errEmptyBody
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(dst); err != nil {
		return errBadJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) { // trailing data
		return errBadJSON
	}
	return nil
}
