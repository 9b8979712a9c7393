package dev.unmask.core.tensor;


import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * DJL's PyTorch engine lets one gradient recording run at a time in a process, whichever thread
 * starts it (a second one fails). A library shared by threads must make them take turns: a
 * second thread's recording waits for the first to close, then computes its own gradient right.
 */
class AutogradLockTest {
    @Test
    void aSecondThreadsRecordingWaitsForTheFirstInsteadOfFailing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch firstOpen = new CountDownLatch(1);
        AtomicLong firstLeaving = new AtomicLong();
        AtomicLong secondInside = new AtomicLong();
        try (NDManager m = NDManager.newBaseManager()) {
            Future<Float> first = pool.submit(() -> gradientOfSquare(m, 3f, () -> {
                firstOpen.countDown();
                sleep(300);
                firstLeaving.set(System.nanoTime());
            }));
            assertThat(firstOpen.await(30, TimeUnit.SECONDS)).isTrue();
            Future<Float> second = pool.submit(() -> gradientOfSquare(m, 5f, () -> secondInside.set(System.nanoTime())));
            assertThat(second.get(60, TimeUnit.SECONDS)).isEqualTo(10f);
            assertThat(first.get(60, TimeUnit.SECONDS)).isEqualTo(6f);
            // The second recording began only once the first was done.
            assertThat(secondInside.get()).isGreaterThan(firstLeaving.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** d(x²)/dx at {@code x}, with {@code whileRecording} run inside the recording. */
    private static float gradientOfSquare(NDManager m, float x, Runnable whileRecording) {
        try (NDManager scope = m.newSubManager()) {
            NDArray v = scope.create(new float[] {x});
            Autograd.requireGradient(v, true);
            try (GradientCollector c = Autograd.record()) {
                NDArray y = v.mul(v).sum();
                whileRecording.run();
                c.backward(y);
            }
            return Autograd.takeGradient(v, scope).toFloatArray()[0];
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
