package openapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Prefix is where the documents are served: Prefix + name + ".json".
const Prefix = "/openapi/"

// Docs are the built documents, served by product name. They need no
// credential (a client reads one before it has any) and change only with
// the server's version, so each carries an ETag.
type Docs struct {
	byName map[string]*served
}

type served struct {
	doc  *openapi3.T
	json []byte
	etag string
}

// NewDocs returns an empty set of documents.
func NewDocs() *Docs { return &Docs{byName: map[string]*served{}} }

// Add builds p's document; an invalid description is an error.
func (d *Docs) Add(ctx context.Context, p Product) error {
	if _, dup := d.byName[p.Name]; dup || p.Name == "" {
		return fmt.Errorf("openapi: product name %q is empty or taken", p.Name)
	}
	doc, err := p.Build(ctx)
	if err != nil {
		return err
	}
	raw, err := doc.MarshalJSON()
	if err != nil {
		return fmt.Errorf("openapi: %s: marshal: %w", p.Name, err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		return fmt.Errorf("openapi: %s: indent: %w", p.Name, err)
	}
	pretty.WriteByte('\n')
	sum := sha256.Sum256(pretty.Bytes())
	d.byName[p.Name] = &served{doc: doc, json: pretty.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	return nil
}

// Doc returns the named document, or nil.
func (d *Docs) Doc(name string) *openapi3.T {
	if s := d.byName[name]; s != nil {
		return s.doc
	}
	return nil
}

// ServeHTTP answers GET and HEAD of Prefix + name + ".json".
func (d *Docs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, Prefix), ".json")
	s := d.byName[name]
	if !ok || s == nil || strings.Contains(name, "/") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"not found"}` + "\n"))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("ETag", s.etag)
	// ServeContent answers If-None-Match with 304 and HEAD without a body.
	http.ServeContent(w, r, name+".json", time.Time{}, bytes.NewReader(s.json))
}
