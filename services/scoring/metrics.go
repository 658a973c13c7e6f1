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
		eventsIn:      counterVec("scoring_events_in_total", "partition", "Events taken from the stream, per partition (redeliveries excluded)."),
		eventsFlushed: counterVec("scoring_events_flushed_total", "partition", "Events whose batch was committed, per partition."),
		redelivered:   counterVec("scoring_events_redelivered_total", "partition", "Redelivered events skipped because they were already applied."),
		dlq:           counterVec("scoring_dlq_total", "reason", "Events sent to scoring.dlq.<reason>."),
		dlqFailed:     counter("scoring_dlq_refused_total", "Refused events the DLQ stream would not take even without payload; passed over and logged with their stream sequence."),
		flushRetries:  counterVec("scoring_flush_retries_total", "partition", "Batch commits retried after a transient database error, per partition."),
		poisoned:      counter("scoring_poisoned_rows_total", "Profile rows the database refused for good, kept in scoring_poison."),
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

// counterVec is a counter per value of label; counter one without labels.
// The engine's counters differ only by name, label and help.
func counterVec(name, label, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}
