// Package metrics owns Switchboard's Prometheus metrics: HTTP requests,
// GraphQL operations, live subscriptions and database pool statistics.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboardhq/switchboard/server/live"
)

// Metrics is one server's registry. Each server gets its own, so tests can
// run several servers in one process.
type Metrics struct {
	registry     *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	operations   *prometheus.CounterVec
	opDuration   *prometheus.HistogramVec

	mu    sync.Mutex
	names map[string]bool // operation names with series of their own
}

// MaxOperationNames is how many operation names get series of their own in
// one process; later ones are counted as OtherOperation. Names come from
// clients, so without a cap one client could grow the registry (and every
// scrape) without bound.
const MaxOperationNames = 200

// Fixed operation labels.
const (
	// OtherOperation counts names past MaxOperationNames.
	OtherOperation = "other"
	// UnauthenticatedOperation counts every operation of a caller without
	// valid credentials, whatever its name: such callers create no series.
	UnauthenticatedOperation = "unauthenticated"
	// AnonymousOperation counts operations without a name.
	AnonymousOperation = "anonymous"
)

// Live is what the live subscription fan-out reports (server/live).
type Live struct {
	Subscribers func() int
	Stats       func() live.Stats
	// HubQueueDepth is the number of events waiting in the hub's buffers.
	HubQueueDepth func() int
}

// New registers the metrics. lv reports live GraphQL subscriptions and their
// fan-out; db, if not nil, contributes pool statistics.
func New(db *sql.DB, lv Live) *Metrics {
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
		}, func() float64 { return float64(lv.Subscribers()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_live_events_total",
			Help: "Change events received by the live fan-out (once per watched workspace and kind of row).",
		}, func() float64 { return float64(lv.Stats().EventsIn) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_live_loads_total",
			Help: "Rows loaded for live subscribers: one per change per watched workspace, whatever the number of subscribers.",
		}, func() float64 { return float64(lv.Stats().Loads) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_live_deliveries_total",
			Help: "Rows handed to live subscribers.",
		}, func() float64 { return float64(lv.Stats().Deliveries) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_live_drops_total",
			Help: "Live subscribers ended because they could not keep up (SLOW_SUBSCRIBER).",
		}, func() float64 { return float64(lv.Stats().Drops) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_live_load_queue_depth",
			Help: "Changed rows waiting to be loaded for live subscribers.",
		}, func() float64 { return float64(lv.Stats().QueueDepth) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_live_hub_queue_depth",
			Help: "Events waiting in the events hub's buffers.",
		}, func() float64 { return float64(lv.HubQueueDepth()) }),
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

// methods are the HTTP methods with a label of their own; a client can send
// any token as a method.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// ObserveHTTP records one HTTP request. route is the router's pattern, not
// the raw path, and unknown methods count as "other", so label cardinality
// stays bounded.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if !methods[method] {
		method = "other"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// opTypes are the operation types with a label of their own.
var opTypes = map[string]bool{"query": true, "mutation": true, "subscription": true}

// ObserveOperation records one GraphQL operation. authenticated tells
// whether the caller had valid credentials; see UnauthenticatedOperation.
func (m *Metrics) ObserveOperation(name, opType string, authenticated, failed bool, d time.Duration) {
	name = m.operationLabel(name, authenticated)
	if !opTypes[opType] {
		opType = "unknown"
	}
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	m.operations.WithLabelValues(name, opType, outcome).Inc()
	m.opDuration.WithLabelValues(name, opType).Observe(d.Seconds())
}

// operationLabel bounds the operation label: the first MaxOperationNames
// names of authenticated callers keep theirs.
func (m *Metrics) operationLabel(name string, authenticated bool) string {
	switch {
	case !authenticated:
		return UnauthenticatedOperation
	case name == "":
		return AnonymousOperation
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= MaxOperationNames {
		return OtherOperation
	}
	if m.names == nil {
		m.names = make(map[string]bool)
	}
	m.names[name] = true
	return name
}
