package shillbot

import (
	"reflect"
	"testing"
)

// The document's copies of request bodies keep the handlers' fields.
func TestDocumentedBodiesMatchTheHandlersBodies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ doc, handler any }{
		{botCreateBody{}, botBody{}},
	} {
		d, h := reflect.TypeOf(c.doc), reflect.TypeOf(c.handler)
		if d.NumField() != h.NumField() {
			t.Fatalf("%s has %d fields, %s %d", d, d.NumField(), h, h.NumField())
		}
		for i := range d.NumField() {
			df, hf := d.Field(i), h.Field(i)
			if df.Tag.Get("json") != hf.Tag.Get("json") || df.Type != hf.Type {
				t.Errorf("%s.%s (%s %q) differs from %s.%s (%s %q)", d, df.Name, df.Type, df.Tag.Get("json"), h, hf.Name, hf.Type, hf.Tag.Get("json"))
			}
		}
	}
}
