//go:build !unix

package testkit

import "errors"

type cluster struct {
	dir string
	url string
}

// startCluster is unix-only: it runs initdb as the postgres user and
// relies on process groups and a shell watchdog.
func startCluster() (*cluster, error) {
	return nil, errors.New("throwaway clusters are only made on unix")
}

func stopCluster() {}
