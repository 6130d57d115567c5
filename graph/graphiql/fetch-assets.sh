#!/usr/bin/env bash
# Fetches GraphiQL and the React it runs on from the npm registry into
# assets/, where the binary embeds them (so the page works offline). Run it
# by hand to upgrade, then commit assets/; nothing runs it during a build.
# GraphiQL 3 is the last release with a UMD bundle (4 and later are ES
# modules only), and React 18 the last with UMD builds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
GRAPHIQL=3.9.0
REACT=18.3.1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
mkdir -p "$tmp/graphiql" "$tmp/react" "$tmp/react-dom"
tar xzf "$tmp/graphiql-$GRAPHIQL.tgz" -C "$tmp/graphiql"
tar xzf "$tmp/react-$REACT.tgz" -C "$tmp/react"
tar xzf "$tmp/react-dom-$REACT.tgz" -C "$tmp/react-dom"
mkdir -p assets
cp "$tmp/graphiql/package/graphiql.min.js" "$tmp/graphiql/package/graphiql.min.css" assets/
cp "$tmp/react/package/umd/react.production.min.js" assets/
cp "$tmp/react-dom/package/umd/react-dom.production.min.js" assets/
cp "$tmp/graphiql/package/LICENSE" assets/LICENSE.graphiql
cp "$tmp/react/package/LICENSE" assets/LICENSE.react
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL" "$REACT" "$REACT" > assets/VERSIONS
