// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from assets
// embedded in the binary: the page loads nothing from the internet, so it
// works on a machine without one. fetch-assets.sh says where the assets
// come from and how to upgrade them.
package graphiql

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// AssetPrefix is where the page's scripts and styles are served.
const AssetPrefix = "/graphiql/"

// Handler serves the page at any path it is mounted on, and its assets
// under AssetPrefix; endpoint is the GraphQL URL path the page queries.
func Handler(endpoint string) http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(AssetPrefix, http.FileServerFS(sub))
	var page strings.Builder
	if err := pageTemplate.Execute(&page, map[string]string{"Endpoint": endpoint, "Assets": AssetPrefix}); err != nil {
		panic(err)
	}
	body := []byte(page.String())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, AssetPrefix) {
			// The files change only with the binary, and their names
			// with their version; an hour keeps upgrades visible.
			w.Header().Set("Cache-Control", "public, max-age=3600")
			files.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The page may run only its own scripts and talk only to this
		// server: a stolen token cannot be sent anywhere else from it.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "+
			"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(body)
	})
}

// pageTemplate is GraphiQL's CDN example with local assets. The query,
// variables, headers and operation name may be given in the URL
// (?query=...&headers={"Authorization":"Bearer ..."}), so a link can open
// a prepared request.
var pageTemplate = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchboard GraphiQL</title>
<style>body { height: 100%; margin: 0; width: 100%; overflow: hidden; } #graphiql { height: 100vh; }</style>
<link rel="stylesheet" href="{{.Assets}}graphiql.min.css">
<script src="{{.Assets}}react.production.min.js"></script>
<script src="{{.Assets}}react-dom.production.min.js"></script>
<script src="{{.Assets}}graphiql.min.js"></script>
</head>
<body>
<div id="graphiql">Loading…</div>
<script>
  const params = new URLSearchParams(window.location.search);
  const fetcher = GraphiQL.createFetcher({ url: {{.Endpoint}} });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: params.has('headers') ? 'headers' : false,
    isHeadersEditorEnabled: true,
    query: params.get('query') ?? undefined,
    variables: params.get('variables') ?? undefined,
    headers: params.get('headers') ?? undefined,
    operationName: params.get('operationName') ?? undefined,
  }));
</script>
</body>
</html>
`))
