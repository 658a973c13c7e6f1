package scoring

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scoring engine's numbers, served on /metrics.
type metrics struct {
	eventsIn      *prometheus.CounterVec
	eventsFlushed *prometheus.CounterVec
	redelivered   *prometheus.CounterVec
	dlq           *prometheus.CounterVec
	dlqFailed     prometheus.Counter
	flushRetries  *prometheus.CounterVec
	poisoned      prometheus.Counter
	lag           *prometheus.GaugeVec
	owned         prometheus.Gauge
	flushDuration prometheus.Histogram
	rowsPerFlush  prometheus.Histogram
}

// newMetrics registers the engine's collectors on reg; each component has
// its own registry, so several can live in one process.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		eventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoring_events_in_total", Help: "Events taken from the stream, per partition (redeliveries excluded).",
		}, []string{"partition"}),
		eventsFlushed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoring_events_flushed_total", Help: "Events whose batch was committed, per partition.",
		}, []string{"partition"}),
		redelivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoring_events_redelivered_total", Help: "Redelivered events skipped because they were already applied.",
		}, []string{"partition"}),
		dlq: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoring_dlq_total", Help: "Events sent to scoring.dlq.<reason>.",
		}, []string{"reason"}),
		dlqFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scoring_dlq_refused_total", Help: "Refused events the DLQ stream would not take even without payload; passed over and logged with their stream sequence.",
		}),
		flushRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoring_flush_retries_total", Help: "Batch commits retried after a transient database error, per partition.",
		}, []string{"partition"}),
		poisoned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scoring_poisoned_rows_total", Help: "Profile rows the database refused for good, kept in scoring_poison.",
		}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scoring_partitions_running", Help: "Partitions this instance runs now.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "scoring_partition_lag", Help: "Messages of the partition not yet delivered to its shard.",
		}, []string{"partition"}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "scoring_flush_duration_seconds", Help: "Time to commit one batch, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		rowsPerFlush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "scoring_rows_per_flush", Help: "Distinct profiles written by one batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
	}
	for _, c := range []prometheus.Collector{m.eventsIn, m.eventsFlushed, m.redelivered, m.dlq, m.dlqFailed, m.flushRetries, m.poisoned, m.owned, m.lag, m.flushDuration, m.rowsPerFlush} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
