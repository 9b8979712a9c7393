package dev.unmask.core.tensor;

import ai.djl.ndarray.NDArray;

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

    private static final TorchScriptModule MODULE =
            new TorchScriptModule("Linear", SOURCE, Boolean.parseBoolean(System.getProperty("unmask.onednnLinear", "true")));

    private OneDnnLinear() {}

    /** Whether this pass may use it: the module loads, and the calling thread records no autograd. */
    public static boolean usable() {
        return !GradMode.recording() && MODULE.available();
    }

    /** Only after {@link #usable()} said yes on this thread. */
    public static NDArray apply(NDArray x, NDArray weight, NDArray bias) {
        return MODULE.forward(x, weight, bias).singletonOrThrow();
    }
}
