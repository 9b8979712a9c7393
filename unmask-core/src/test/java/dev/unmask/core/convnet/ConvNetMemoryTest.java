package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.checkpoint.SafeTensors;
import org.junit.jupiter.api.Test;

/** Intermediates are freed as the forward pass goes: the caller's manager gets only the results. */
class ConvNetMemoryTest {

    @Test
    void forwardLeavesOnlyItsResultsInTheCallersManager() {
        GoldenCase golden = new GoldenCase("effnetv2_b0_tf");
        try (NDManager manager = NDManager.newBaseManager();
                SafeTensors weights = SafeTensors.openDirectory(golden.dir);
                ConvNet net = ConvNets.load(golden.architecture(), golden.config, weights, manager);
                NDManager caller = manager.newSubManager()) {
            NDArray input = golden.input(caller);
            assertThat(caller.getManagedArrays()).hasSize(1);

            ConvNetFeatures f = net.forward(input, 2);
            // input + pooled + logits + two stage maps, and no sub-manager left open.
            assertThat(caller.getManagedArrays()).hasSize(5).contains(input, f.pooled(), f.logits());
            assertThat(input.getManager()).isSameAs(caller);

            net.gradCam(input, manager.zeros(new Shape(2, net.numFeatures())),
                    manager.zeros(new Shape(2)), 0);
            assertThat(caller.getManagedArrays()).hasSize(5);
        }
    }
}
