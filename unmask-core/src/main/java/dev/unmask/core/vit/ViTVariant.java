package dev.unmask.core.vit;

import java.util.Arrays;
import java.util.Optional;

/**
 * The named ViT variants, one row each: the names configs give them (timm's {@code architecture},
 * and the research repos' torch-hub entry), their shape, and their family. Every config reader
 * ({@link ViTConfigs}) and every built-in model takes its defaults from here, so adding a variant
 * is adding a row; a config's {@code model_args} still override any value.
 *
 * <p>The family holds what is the same for all its sizes (layer scale, how positions are
 * resampled, which checkpoint layout its hub name uses); which name matched decides the numerics:
 * a timm name runs timm's code, a hub name the research repo's.
 *
 * @param timmName  timm's architecture name, or null where timm has none of its own (timm ports
 *                  DINO v1 and MAE weights as tags of its supervised architectures)
 * @param hubName   the research repo's torch-hub name, or null
 * @param width     embedding dimension D
 * @param mlpRatio  feed-forward width over D, as the research code states it (DINOv2 shrinks a
 *                  SwiGLU's width to 2/3 of it, see {@link ViTConfigs})
 * @param swiglu    SwiGLU feed-forward instead of a GELU MLP
 * @param imageSize side in pixels the position grid was trained at
 */
public enum ViTVariant {
    // @formatter:off
    //                            timm name                         hub name             family             width depth heads mlp  swiglu patch image registers
    VIT_TINY_PATCH16_224         ("vit_tiny_patch16_224",           null,                Family.SUPERVISED, 192,  12, 3,  4.0, false, 16, 224, 0),
    VIT_SMALL_PATCH16_224        ("vit_small_patch16_224",          null,                Family.SUPERVISED, 384,  12, 6,  4.0, false, 16, 224, 0),
    VIT_BASE_PATCH16_224         ("vit_base_patch16_224",           null,                Family.SUPERVISED, 768,  12, 12, 4.0, false, 16, 224, 0),
    VIT_LARGE_PATCH16_224        ("vit_large_patch16_224",          null,                Family.SUPERVISED, 1024, 24, 16, 4.0, false, 16, 224, 0),
    VIT_HUGE_PATCH14_224         ("vit_huge_patch14_224",           null,                Family.SUPERVISED, 1280, 32, 16, 4.0, false, 14, 224, 0),
    VIT_SMALL_PATCH14_DINOV2     ("vit_small_patch14_dinov2",       "dinov2_vits14",     Family.DINOV2,     384,  12, 6,  4.0, false, 14, 518, 0),
    VIT_BASE_PATCH14_DINOV2      ("vit_base_patch14_dinov2",        "dinov2_vitb14",     Family.DINOV2,     768,  12, 12, 4.0, false, 14, 518, 0),
    VIT_LARGE_PATCH14_DINOV2     ("vit_large_patch14_dinov2",       "dinov2_vitl14",     Family.DINOV2,     1024, 24, 16, 4.0, false, 14, 518, 0),
    VIT_GIANT_PATCH14_DINOV2     ("vit_giant_patch14_dinov2",       "dinov2_vitg14",     Family.DINOV2,     1536, 40, 24, 4.0, true,  14, 518, 0),
    VIT_SMALL_PATCH14_REG4_DINOV2("vit_small_patch14_reg4_dinov2",  "dinov2_vits14_reg", Family.DINOV2,     384,  12, 6,  4.0, false, 14, 518, 4),
    VIT_BASE_PATCH14_REG4_DINOV2 ("vit_base_patch14_reg4_dinov2",   "dinov2_vitb14_reg", Family.DINOV2,     768,  12, 12, 4.0, false, 14, 518, 4),
    VIT_LARGE_PATCH14_REG4_DINOV2("vit_large_patch14_reg4_dinov2",  "dinov2_vitl14_reg", Family.DINOV2,     1024, 24, 16, 4.0, false, 14, 518, 4),
    VIT_GIANT_PATCH14_REG4_DINOV2("vit_giant_patch14_reg4_dinov2",  "dinov2_vitg14_reg", Family.DINOV2,     1536, 40, 24, 4.0, true,  14, 518, 4),
    DINO_VITS16                  (null,                             "dino_vits16",       Family.DINO_V1,    384,  12, 6,  4.0, false, 16, 224, 0),
    DINO_VITS8                   (null,                             "dino_vits8",        Family.DINO_V1,    384,  12, 6,  4.0, false, 8,  224, 0),
    DINO_VITB16                  (null,                             "dino_vitb16",       Family.DINO_V1,    768,  12, 12, 4.0, false, 16, 224, 0),
    DINO_VITB8                   (null,                             "dino_vitb8",        Family.DINO_V1,    768,  12, 12, 4.0, false, 8,  224, 0),
    MAE_VIT_BASE_PATCH16         (null,                             "mae_vit_base_patch16",  Family.MAE,    768,  12, 12, 4.0, false, 16, 224, 0),
    MAE_VIT_LARGE_PATCH16        (null,                             "mae_vit_large_patch16", Family.MAE,    1024, 24, 16, 4.0, false, 16, 224, 0),
    MAE_VIT_HUGE_PATCH14         (null,                             "mae_vit_huge_patch14",  Family.MAE,    1280, 32, 16, 4.0, false, 14, 224, 0),
    DINOV3_VITS16                (null,                             "dinov3_vits16",     Family.DINOV3,     384,  12, 6,  4.0, false, 16, 224, 4),
    DINOV3_VITB16                (null,                             "dinov3_vitb16",     Family.DINOV3,     768,  12, 12, 4.0, false, 16, 224, 4),
    DINOV3_VITL16                (null,                             "dinov3_vitl16",     Family.DINOV3,     1024, 24, 16, 4.0, false, 16, 224, 4);
    // @formatter:on

    /** What a family's variants share. */
    public enum Family {
        /** timm's supervised ViTs (ImageNet-21k/1k, AugReg): no layer scale. */
        SUPERVISED(false),
        /** DINOv2 (Oquab et al. 2023), with or without registers: layer scale. */
        DINOV2(true),
        /** DINO v1 (Caron et al. 2021). */
        DINO_V1(false),
        /** MAE (He et al. 2022), encoder only. */
        MAE(false),
        /** DINOv3 (Siméoni et al. 2025): RoPE instead of learned positions, 4 storage tokens, layer scale. */
        DINOV3(true);

        private final boolean layerScale;

        Family(boolean layerScale) {
            this.layerScale = layerScale;
        }

        public boolean layerScale() {
            return layerScale;
        }
    }

    private final String timmName;
    private final String hubName;
    private final Family family;
    private final int width;
    private final int depth;
    private final int heads;
    private final double mlpRatio;
    private final boolean swiglu;
    private final int patch;
    private final int imageSize;
    private final int registers;

    ViTVariant(String timmName, String hubName, Family family, int width, int depth, int heads, double mlpRatio, boolean swiglu,
               int patch, int imageSize, int registers) {
        this.timmName = timmName;
        this.hubName = hubName;
        this.family = family;
        this.width = width;
        this.depth = depth;
        this.heads = heads;
        this.mlpRatio = mlpRatio;
        this.swiglu = swiglu;
        this.patch = patch;
        this.imageSize = imageSize;
        this.registers = registers;
    }

    public static Optional<ViTVariant> byTimmName(String name) {
        return Arrays.stream(values()).filter(v -> name.equals(v.timmName)).findFirst();
    }

    public static Optional<ViTVariant> byHubName(String name) {
        return Arrays.stream(values()).filter(v -> name.equals(v.hubName)).findFirst();
    }

    /** The first supervised timm row of a size word ({@code tiny}, {@code small}, …), for timm names outside the table. */
    public static Optional<ViTVariant> supervisedOfSize(String sizeWord) {
        String prefix = "vit_" + sizeWord + "_patch";
        return Arrays.stream(values()).filter(v -> v.family == Family.SUPERVISED && v.timmName.startsWith(prefix)).findFirst();
    }

    public String timmName() {
        return timmName;
    }

    public String hubName() {
        return hubName;
    }

    public Family family() {
        return family;
    }

    public int width() {
        return width;
    }

    public int depth() {
        return depth;
    }

    public int heads() {
        return heads;
    }

    public double mlpRatio() {
        return mlpRatio;
    }

    public boolean swiglu() {
        return swiglu;
    }

    public int patch() {
        return patch;
    }

    public int imageSize() {
        return imageSize;
    }

    public int registers() {
        return registers;
    }
}
