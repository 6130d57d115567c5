// Package bench holds Switchboard's load benchmarks: whole workloads run
// against real databases and a real HTTP server, each reporting its numbers
// beside a baseline measured in the same run. They are Benchmark functions,
// so `go test ./...` compiles them and runs none; run them with
//
//	go test ./bench/ -run XXX -bench . -benchtime 1x
//
// BenchmarkLive (live subscriptions at 1,000 and 10,000 subscribers) runs
// the switchboard binary and its baseline as processes of their own, so
// their memory can be read apart from the clients'.
package bench
