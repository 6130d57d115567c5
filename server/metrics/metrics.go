// Package metrics owns Switchboard's Prometheus metrics: HTTP requests,
// GraphQL operations, live subscriptions and database pool statistics.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's registry. Each server gets its own, so tests can
// run several servers in one process.
type Metrics struct {
	registry     *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	operations   *prometheus.CounterVec
	opDuration   *prometheus.HistogramVec
}

// New registers the metrics. activeSubscriptions reports live GraphQL
// subscriptions; db, if not nil, contributes pool statistics.
func New(db *sql.DB, activeSubscriptions func() int) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_graphql_operations_total",
			Help: "GraphQL operations by name, type and outcome.",
		}, []string{"operation", "type", "outcome"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency by name and type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.operations, m.opDuration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_active_subscriptions",
			Help: "GraphQL subscriptions currently open.",
		}, func() float64 { return float64(activeSubscriptions()) }),
	)
	if db != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(db, "switchboard"))
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveHTTP records one HTTP request. route is the router's pattern, not
// the raw path, so label cardinality stays bounded.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveOperation records one GraphQL operation.
func (m *Metrics) ObserveOperation(name, opType string, failed bool, d time.Duration) {
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	m.operations.WithLabelValues(name, opType, outcome).Inc()
	m.opDuration.WithLabelValues(name, opType).Observe(d.Seconds())
}
