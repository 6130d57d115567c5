package viewer_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestIsAdminIsTheAdminRoleThroughASessionOrAnAPIOrAdminKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v    *viewer.Viewer
		want bool
	}{
		{"no viewer", nil, false},
		{"admin session", &viewer.Viewer{Role: viewer.RoleAdmin}, true},
		{"admin's api key", &viewer.Viewer{Role: viewer.RoleAdmin, Scope: viewer.ScopeAPI}, true},
		{"admin's admin key", &viewer.Viewer{Role: viewer.RoleAdmin, Scope: viewer.ScopeAdmin}, true},
		{"admin's worker key", &viewer.Viewer{Role: viewer.RoleAdmin, Scope: viewer.ScopeWorker}, false},
		{"member session", &viewer.Viewer{Role: viewer.RoleMember}, false},
		{"member's api key", &viewer.Viewer{Role: viewer.RoleMember, Scope: viewer.ScopeAPI}, false},
		{"workspace-only viewer", &viewer.Viewer{WorkspaceID: 1}, false},
	} {
		if got := tc.v.IsAdmin(); got != tc.want {
			t.Errorf("%s: IsAdmin = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestActsForUserIsASessionOrAnAPIKeyNeverAWorkerOrAdminKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v    *viewer.Viewer
		want bool
	}{
		{"no viewer", nil, false},
		{"session", &viewer.Viewer{Role: viewer.RoleMember}, true},
		{"api key", &viewer.Viewer{Role: viewer.RoleMember, Scope: viewer.ScopeAPI}, true},
		{"worker key", &viewer.Viewer{Role: viewer.RoleMember, Scope: viewer.ScopeWorker}, false},
		{"admin key", &viewer.Viewer{Role: viewer.RoleAdmin, Scope: viewer.ScopeAdmin}, false},
	} {
		if got := tc.v.ActsForUser(); got != tc.want {
			t.Errorf("%s: ActsForUser = %v, want %v", tc.name, got, tc.want)
		}
	}
}
