// Package bench holds Switchboard's load benchmarks: whole workloads run
// against real databases and a real HTTP server, each reporting its numbers
// beside a baseline measured in the same run. They are Benchmark functions,
// so `go test ./...` compiles them and runs none; run them with
//
//	go test ./bench/ -run XXX -bench . -benchtime 1x
package bench
