package dev.unmask.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;

/**
 * x·Wᵀ + b by oneDNN ({@code mkldnn._linear_pointwise}) instead of libtorch's MKL {@code addmm},
 * for passes that record no autograd (the op has no backward). On the AMD EPYC build machines
 * oneDNN's kernels beat MKL's on large products: a ViT-L fc1 at batch 8 ([2056, 1024] x [1024,
 * 4096]) took 87-96 ms against 105-134 ms, ViT-S ones at batch 8 about 8 % less, batch 1 the same;
 * results within 1e-4 of addmm (another summation order). Reached through a {@link
 * TorchScriptModule}; {@code -Dunmask.onednnLinear=false} turns it off, and a libtorch that
 * refuses the module keeps addmm.
 */
public final class OneDnnLinear {
    private static final String SOURCE = String.join("\n",
            "class Linear(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.Linear,",
            "    x: Tensor,",
            "    w: Tensor,",
            "    b: Tensor) -> Tensor:",
            "    return ops.mkldnn._linear_pointwise(x, w, b, \"none\", annotate(List[Optional[number]], []), \"\")",
            "");

    private static volatile PtSymbolBlock module;
    private static volatile boolean unavailable = !Boolean.parseBoolean(System.getProperty("unmask.onednnLinear", "true"));

    private OneDnnLinear() {}

    /** Whether this pass may use it: the module loads, and the calling thread records no autograd. */
    public static boolean usable() {
        if (unavailable || GradMode.recording()) {
            return false;
        }
        if (module == null) {
            synchronized (OneDnnLinear.class) {
                if (module == null && !unavailable) {
                    module = TorchScriptModule.load("Linear", SOURCE);
                    unavailable = module == null;
                }
            }
        }
        return !unavailable;
    }

    /** Only after {@link #usable()} said yes on this thread. */
    public static NDArray apply(NDArray x, NDArray weight, NDArray bias) {
        // DJL reads a named array's name as a place in a dict or tuple, and parameters are named:
        // pass unnamed views. "Training" only in DJL's sense: no InferenceMode guard, whose tensors
        // autograd would refuse if this output later fed a recorded pass.
        try (NDArray w = unnamed(weight); NDArray b = unnamed(bias)) {
            return IValueUtils.forward(module, new NDList(x.getName() == null ? x : x.reshape(x.getShape()), w, b), true).singletonOrThrow();
        }
    }

    private static NDArray unnamed(NDArray a) {
        return a.reshape(a.getShape());
    }
}
