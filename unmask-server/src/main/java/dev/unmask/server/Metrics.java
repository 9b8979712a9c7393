package dev.unmask.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** The server's counters in Prometheus' text format (0.0.4): checks by outcome, rejections, queue, latency. */
final class Metrics {
    /** Upper bounds (seconds) of the latency histogram's buckets, from upload accepted to report ready. */
    private static final double[] BOUNDS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

    private final Map<String, LongAdder> outcomes = new TreeMap<>();
    private final Map<Integer, LongAdder> rejections = new TreeMap<>();
    private final AtomicLongArray buckets = new AtomicLongArray(BOUNDS.length);
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    synchronized void outcome(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    synchronized void rejected(int status) {
        rejections.computeIfAbsent(status, k -> new LongAdder()).increment();
    }

    void latency(double seconds) {
        for (int i = 0; i < BOUNDS.length; i++) {
            if (seconds <= BOUNDS[i]) {
                buckets.incrementAndGet(i);
            }
        }
        count.increment();
        sum.add(seconds);
    }

    double meanLatency() {
        long n = count.sum();
        return n == 0 ? Double.NaN : sum.sum() / n;
    }

    synchronized String render(int queued, int running, int queueCapacity, int workers) {
        StringBuilder s = new StringBuilder();
        s.append("# HELP unmask_checks_total Checks finished, by outcome (a verdict, failed, cancelled or timeout).\n");
        s.append("# TYPE unmask_checks_total counter\n");
        for (String o : new String[] {"fake", "real", "no_face", "error", "failed", "cancelled", "timeout"}) {
            outcomes.computeIfAbsent(o, k -> new LongAdder());
        }
        outcomes.forEach((k, v) -> s.append("unmask_checks_total{outcome=\"").append(k).append("\"} ").append(v.sum()).append('\n'));
        s.append("# HELP unmask_rejected_total Requests refused, by HTTP status.\n");
        s.append("# TYPE unmask_rejected_total counter\n");
        for (int code : new int[] {401, 403, 413, 415, 429}) {
            rejections.computeIfAbsent(code, k -> new LongAdder());
        }
        rejections.forEach((k, v) -> s.append("unmask_rejected_total{status=\"").append(k).append("\"} ").append(v.sum()).append('\n'));
        s.append("# HELP unmask_queue_length Checks waiting for a worker.\n# TYPE unmask_queue_length gauge\nunmask_queue_length ").append(queued).append('\n');
        s.append("# HELP unmask_queue_capacity Checks that may wait before uploads get 429.\n# TYPE unmask_queue_capacity gauge\nunmask_queue_capacity ")
                .append(queueCapacity).append('\n');
        s.append("# HELP unmask_checks_running Checks being run now.\n# TYPE unmask_checks_running gauge\nunmask_checks_running ").append(running).append('\n');
        s.append("# HELP unmask_workers Worker threads sharing the detector.\n# TYPE unmask_workers gauge\nunmask_workers ").append(workers).append('\n');
        s.append("# HELP unmask_check_seconds Seconds from an accepted request to its final state.\n# TYPE unmask_check_seconds histogram\n");
        for (int i = 0; i < BOUNDS.length; i++) {
            s.append("unmask_check_seconds_bucket{le=\"").append(BOUNDS[i]).append("\"} ").append(buckets.get(i)).append('\n');
        }
        s.append("unmask_check_seconds_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
        s.append("unmask_check_seconds_sum ").append(sum.sum()).append('\n');
        s.append("unmask_check_seconds_count ").append(count.sum()).append('\n');
        return s.toString();
    }
}
