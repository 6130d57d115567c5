package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/index"
)

// pageIndexes returns the indexes that keep every page of s's connection
// as cheap at a million rows in the workspace as at ten: besides
// TenantMixin's (workspace_id, id) for the default order, (workspace_id, f, id) for each orderBy field f
// (entgql breaks ties on id), and the same for each filter column a face
// lists by. With them the database walks the index from the cursor and stops
// after the page instead of sorting the workspace's rows. Order fields are
// read from the schema's entgql annotations, so a field offered for ordering
// gets its index without anyone remembering to add it.
func pageIndexes(s ent.Interface, filters ...string) []ent.Index {
	cols := []string{}
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	fields := s.Fields()
	for _, m := range s.Mixin() {
		fields = append(fields, m.Fields()...)
	}
	for _, f := range fields {
		d := f.Descriptor()
		for _, a := range d.Annotations {
			if ga, ok := a.(entgql.Annotation); ok && ga.OrderField != "" {
				add(d.Name)
			}
		}
	}
	for _, f := range filters {
		add(f)
	}
	var idx []ent.Index // (workspace_id, id) comes from TenantMixin
	for _, c := range cols {
		idx = append(idx, index.Fields("workspace_id", c, "id"))
	}
	return idx
}
