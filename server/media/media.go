// Package media owns the media library: the images and videos a workspace
// keeps for its posts, either uploaded as files, which the server stores in
// a directory of its own (Options.Dir) and serves, or registered by an
// http(s) address it never fetches.
//
// Posts name library items by id beside plain addresses (CheckTx); when a
// post is published each id becomes the address a worker fetches (URLsTx):
// the registered one, or the server's /media/{id}/content, which Content
// releases only to a member of the workspace or to a worker holding a live
// lease on a task whose payload names it (tasks.HeldByCaller, the rule that
// also releases account credentials).
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	entmedia "github.com/switchboardhq/switchboard/ent/media"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// DefaultMaxBytes is the largest upload unless the operator sets another:
// enough for a phone's minute of HD video, small enough that a few uploads
// at once do not fill a modest disk.
const DefaultMaxBytes = 50 << 20

// maxURL bounds a registered address, as browsers and CDNs commonly do.
const maxURL = 2048

// maxFilename bounds the stored name of an upload, in bytes.
const maxFilename = 255

// sniffLen is how much of a file http.DetectContentType looks at.
const sniffLen = 512

// Options configure the library.
type Options struct {
	// Dir holds the uploaded files, one subdirectory per workspace;
	// created on the first upload.
	Dir string
	// MaxBytes is the largest upload (default DefaultMaxBytes).
	MaxBytes int64
	// PublicURL is the server's address as workers reach it; an uploaded
	// file's address is PublicURL + ContentPath. Empty, workers get the
	// path alone and resolve it against the address they call.
	PublicURL string
	// Now is the clock leases are judged by (default time.Now).
	Now func() time.Time
}

// Service keeps the media library of the viewer's workspace.
type Service struct {
	client *ent.Client
	o      Options
}

// NewService returns a media library on client.
func NewService(client *ent.Client, o Options) *Service {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Service{client: client, o: o}
}

// MaxBytes is the largest file Upload accepts.
func (s *Service) MaxBytes() int64 { return s.o.MaxBytes }

// ErrTooLarge is an upload over the size limit; it is also an
// errs.ErrInvalid naming the field "file".
var ErrTooLarge = errors.New("file too large")

type tooLarge struct{ max int64 }

func (e tooLarge) Error() string {
	return fmt.Sprintf("file: larger than the limit of %d bytes", e.max)
}

func (e tooLarge) Is(target error) bool { return target == ErrTooLarge || target == errs.ErrInvalid }

// Unwrap exposes the field for faces that name it (errs.InvalidError).
func (e tooLarge) Unwrap() error {
	return &errs.InvalidError{Field: "file", Message: fmt.Sprintf("larger than the limit of %d bytes", e.max)}
}

// Upload stores the file r, of the given size as the client declared it
// (-1 if unknown) and name, in the viewer's workspace. Its type is sniffed
// from its first bytes, whatever the client claimed: only images and
// videos are kept. The size is checked on the bytes actually read.
func (s *Service) Upload(ctx context.Context, name string, size int64, r io.Reader) (*ent.Media, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.WorkspaceID == 0 {
		return nil, errs.Unauthenticated("authentication required")
	}
	if size > s.o.MaxBytes {
		return nil, tooLarge{s.o.MaxBytes}
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return nil, errs.Invalid("file", "is empty")
	}
	ct := http.DetectContentType(head)
	if !strings.HasPrefix(ct, "image/") && !strings.HasPrefix(ct, "video/") {
		return nil, errs.Invalid("file", "is %s; only images and videos are accepted", strings.SplitN(ct, ";", 2)[0])
	}
	dir := filepath.Join(s.o.Dir, strconv.Itoa(v.WorkspaceID))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	id := uuid.Must(uuid.NewV7())
	final := filepath.Join(dir, id.String())
	written, err := writeFile(dir, final, io.MultiReader(bytes.NewReader(head), r), s.o.MaxBytes)
	if err != nil {
		return nil, err
	}
	c := s.client.Media.Create().SetUUID(id).SetFilename(cleanName(name)).SetContentType(ct).SetSize(written)
	if v.UserID != 0 {
		c.SetUserID(v.UserID)
	}
	m, err := c.Save(ctx)
	if err != nil {
		_ = os.Remove(final)
		return nil, fmt.Errorf("save media: %w", errs.FromEnt(err, "media"))
	}
	return m, nil
}

// writeFile copies at most max bytes of r to final, through a temporary
// file in dir renamed at the end, so a reader never sees half a file.
func writeFile(dir, final string, r io.Reader, max int64) (int64, error) {
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return 0, fmt.Errorf("create media file: %w", err)
	}
	tmp := f.Name()
	written, err := io.Copy(f, io.LimitReader(r, max+1))
	if err == nil && written > max {
		err = tooLarge{max}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		_ = os.Remove(tmp)
		if errors.Is(err, ErrTooLarge) {
			return 0, err
		}
		return 0, fmt.Errorf("write media file: %w", err)
	}
	return written, nil
}

// cleanName keeps the last element of a client's file name, bounded.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	for len(name) > maxFilename {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return strings.ToValidUTF8(name, "")
}

// Register adds the http(s) address rawURL to the viewer's library. The
// server never fetches it: a worker does, so its type and size are not
// known.
func (s *Service) Register(ctx context.Context, rawURL string) (*ent.Media, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.WorkspaceID == 0 {
		return nil, errs.Unauthenticated("authentication required")
	}
	if len(rawURL) > maxURL {
		return nil, errs.Invalid("url", "at most %d characters", maxURL)
	}
	if !isHTTPURL(rawURL) {
		return nil, errs.Invalid("url", "must be an http or https URL")
	}
	c := s.client.Media.Create().SetURL(rawURL)
	if v.UserID != 0 {
		c.SetUserID(v.UserID)
	}
	m, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("save media: %w", errs.FromEnt(err, "media"))
	}
	return m, nil
}

// Delete removes item id of the viewer's library and its file. Posts that
// name it keep the id: one not yet published fails with "media N not
// found", as a post whose account was deleted does.
func (s *Service) Delete(ctx context.Context, id int) error {
	m, err := s.client.Media.Get(ctx, id)
	if err != nil {
		return errs.FromEnt(err, "media")
	}
	if err := s.client.Media.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete media %d: %w", id, errs.FromEnt(err, "media"))
	}
	if m.URL == nil {
		// The row is gone, so nobody can be served the file any more; a
		// file left behind by a failed removal is only disk space.
		if err := os.Remove(s.path(m)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove media file %d: %w", id, err)
		}
	}
	return nil
}

func (s *Service) path(m *ent.Media) string {
	return filepath.Join(s.o.Dir, strconv.Itoa(m.WorkspaceID), m.UUID.String())
}

// ContentPath is where the server serves an uploaded item's bytes.
func ContentPath(id int) string { return "/media/" + strconv.Itoa(id) + "/content" }

// URL is the address a worker fetches m at.
func (s *Service) URL(m *ent.Media) string {
	if m.URL != nil {
		return *m.URL
	}
	return s.o.PublicURL + ContentPath(m.ID)
}

// Content opens item id's file for the caller: a user or api key of its
// workspace, or a worker key that holds a live lease on a task whose
// payload names the item's address. Another workspace's item is not
// found; a registered address has no content here. The caller closes the
// file.
func (s *Service) Content(ctx context.Context, id int) (*ent.Media, *os.File, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, nil, errs.Unauthenticated("authentication required")
	}
	m, err := s.client.Media.Get(ctx, id)
	if err != nil {
		return nil, nil, errs.FromEnt(err, "media")
	}
	if m.URL != nil {
		return nil, nil, errs.NotFound("media content (the item is a registered address)")
	}
	if v.IsWorker() {
		ok, err := s.heldUse(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, errs.Forbidden("a worker is served media only while it holds a task that uses them")
		}
	}
	f, err := os.Open(s.path(m))
	if err != nil {
		return nil, nil, fmt.Errorf("open media %d: %w", id, err)
	}
	return m, f, nil
}

// heldUse reports whether the calling worker holds a live lease on a task
// whose payload names item id's content address.
func (s *Service) heldUse(ctx context.Context, id int) (bool, error) {
	holds, ok := tasks.HeldByCaller(ctx, s.o.Now())
	if !ok {
		return false, nil
	}
	// A worker holds few tasks at once (a claim's limit), so their
	// payloads are read and searched here rather than in SQL, which
	// would differ between the two databases.
	held, err := s.client.Task.Query().Where(holds).Select(task.FieldPayload).All(ctx)
	if err != nil {
		return false, fmt.Errorf("check leases: %w", err)
	}
	want := ContentPath(id)
	for _, t := range held {
		if names(t.Payload, want) {
			return true, nil
		}
	}
	return false, nil
}

// names reports whether a payload value holds an address whose path is
// path, wherever it sits in the payload.
func names(v any, path string) bool {
	switch x := v.(type) {
	case string:
		if x == path {
			return true
		}
		u, err := url.Parse(x)
		return err == nil && u.Path == path && (u.Scheme == "http" || u.Scheme == "https")
	case map[string]any:
		for _, e := range x {
			if names(e, path) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if names(e, path) {
				return true
			}
		}
	}
	return false
}

// Ref parses an entry of a post's media list: a library item's id (a
// positive decimal number) rather than an address.
func Ref(s string) (id int, ok bool) {
	if s == "" || len(s) > 18 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.Atoi(s)
	return id, err == nil && id > 0
}

// RefOf reads address as a library item when it names one: its id (Ref),
// or the address the server serves an upload at, ContentPath(id) alone or
// after PublicURL. A planned post's media carry addresses where other
// posts carry ids, and a client that read an item's address back from
// this server may send that. The same path on another host is an address
// like any other.
func (s *Service) RefOf(address string) (id int, ok bool) {
	if id, ok := Ref(address); ok {
		return id, true
	}
	path := address
	if s.o.PublicURL != "" {
		if rest, found := strings.CutPrefix(address, s.o.PublicURL); found {
			path = rest
		}
	}
	return contentID(path)
}

// contentID is the id whose ContentPath is path, written as ContentPath
// writes it.
func contentID(path string) (int, bool) {
	rest, ok := strings.CutPrefix(path, "/media/")
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, "/content")
	if !ok {
		return 0, false
	}
	id, ok := Ref(digits)
	if !ok || strconv.Itoa(id) != digits {
		return 0, false
	}
	return id, true
}

// ItemsTx returns the items of the viewer's library among ids, by id; an
// id it does not have (another workspace's items are not there) is absent.
func (s *Service) ItemsTx(ctx context.Context, tx *ent.Tx, ids []int) (map[int]*ent.Media, error) {
	found := make(map[int]*ent.Media, len(ids))
	// An import's posts may name thousands of items; each query stays
	// well under the databases' limits on statement parameters.
	for chunk := range slices.Chunk(ids, lookupBatch) {
		items, err := tx.Media.Query().Where(entmedia.IDIn(chunk...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up media: %w", err)
		}
		for _, m := range items {
			found[m.ID] = m
		}
	}
	return found, nil
}

// lookupBatch bounds the ids one lookup query names.
const lookupBatch = 500

// refs returns the distinct library items among entries, by id or by the
// address this server serves them at (RefOf).
func (s *Service) refs(entries []string) []int {
	var ids []int
	seen := map[int]bool{}
	for _, e := range entries {
		if id, ok := s.RefOf(e); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// CheckTx refuses a media list naming an item that is not in the viewer's
// library (another workspace's items are not there), by its id or by the
// address this server serves it at, as an invalid "media" field.
func (s *Service) CheckTx(ctx context.Context, tx *ent.Tx, entries []string) error {
	_, err := s.lookup(ctx, tx, entries)
	return err
}

// URLsTx returns entries with each library item, named by id or by the
// address this server serves it at, replaced by the address a worker
// fetches it at (URL); other addresses are kept as they are.
func (s *Service) URLsTx(ctx context.Context, tx *ent.Tx, entries []string) ([]string, error) {
	found, err := s.lookup(ctx, tx, entries)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e
		if id, ok := s.RefOf(e); ok {
			out[i] = s.URL(found[id])
		}
	}
	return out, nil
}

// lookup loads the items entries name, failing on the first missing one.
func (s *Service) lookup(ctx context.Context, tx *ent.Tx, entries []string) (map[int]*ent.Media, error) {
	ids := s.refs(entries)
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.ItemsTx(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if found[id] == nil {
			return nil, errs.Invalid("media", "media %d not found", id)
		}
	}
	return found, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
