package sharingtools

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// plugins are the Sharingtools plugins, by route prefix and module name.
// Their routes are later issues' work; until a plugin is built, Switchboard
// does not have it, and the document's answer for an uninstalled plugin is
// 503 — before any check of the user's package, which only applies to a
// plugin that is installed.
var plugins = []struct{ prefix, module string }{
	{"/reactions", "reactions"},
	{"/repost", "repost-pro"},
	{"/post-actions", "post-actions-api"},
	{"/leads", "parser"},
	{"/ai-dm", "ai-dm"},
	{"/welcomedm", "welcomedm"},
}

// mountUnavailablePlugins answers every route of the plugins with 503.
func mountUnavailablePlugins(r chi.Router) {
	for _, p := range plugins {
		unavailable := func(w http.ResponseWriter, _ *http.Request) {
			writeFail(w, http.StatusServiceUnavailable, "Plugin unavailable: the "+p.module+" module is not installed on this server.", nil)
		}
		r.HandleFunc(p.prefix, unavailable)
		r.HandleFunc(p.prefix+"/*", unavailable)
	}
}
