package dev.unmask.cli;

import dev.unmask.api.FeatureReport;
import dev.unmask.api.Features;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;


/** {@code unmask features}: a backbone's features for one image, as the research code computes them. */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = {"Run a backbone on one image at the image's own size and print its features.",
            "With no --backbone and --image, runs the built-in random-weight ViT-S/14 on a built-in sample picture."})
final class FeaturesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backbone", paramLabel = "DIR|NAME", description = "Backbone: a model directory (config.json + model.safetensors) or a"
            + " pulled registry name; a GenD detector folder prints its head's logits and p_fake too.")
    String model;

    @Option(names = "--model", hidden = true, paramLabel = "DIR|NAME", description = "Old name of --backbone.")
    void oldModel(String value) {
        model = value;
    }

    @Option(names = "--image", paramLabel = "FILE", description = "PNG (or JPEG/BMP) image; fed as is unless --size.")
    Path image;

    @Option(names = "--size", paramLabel = "PX", description = "Resize the image to PXxPX first (bicubic).")
    Integer resize;

    @Option(names = "--resize", hidden = true, paramLabel = "PX", description = "Old name of --size.")
    void oldResize(int value) {
        resize = value;
    }

    @Option(names = "--json", description = "Print JSON: cls_final, cls_last4, patch_mean_final, attn_last_cls (+ reg_final, logits, image_embeds); for a GenD detector features, logits, p_fake.")
    boolean json;

    @Option(names = "--tokens", description = "Also print tokens_final (all final normed tokens).")
    boolean tokens;

    @Override
    public Integer call() throws Exception {
        Path dir;
        if (model == null) {
            dir = BuiltinModels.demoBackbone();
            spec.commandLine().getErr().println("unmask: no --backbone given: using the built-in " + BuiltinModels.DEMO_BACKBONE
                    + " (random weights of the real ViT-S/14 size, features not meaningful); `unmask pull dinov2_vits14` gets real ones");
        } else {
            dir = ModelArgument.resolve(model);
        }
        Path img = image != null ? image : BuiltinModels.sampleImage();
        FeatureReport f = Features.of(dir, img, resize, tokens);
        var o = spec.commandLine().getOut();
        if (json) {
            o.println(StrictJson.mapper().writeValueAsString(f));
            return 0;
        }
        FeatureReport.Model m = f.model();
        o.printf("model      %s%n", m.description());
        if (f.features() != null) {
            o.printf("image      %s (%dx%d)%n", img, m.width(), m.height());
            o.printf("features   [%d] norm %.4f, first %s%n", f.features().length, norm(f.features()), head(f.features()));
        } else {
            o.printf("image      %s (%dx%d -> %dx%d patches)%n", img, m.width(), m.height(), m.gridW(), m.gridH());
            o.printf("cls_final  [%d] norm %.4f, first %s%n", f.clsFinal().length, norm(f.clsFinal()), head(f.clsFinal()));
            o.printf("attention  last block, %d heads x %d patches%n", f.attnLastCls().length, m.gridW() * m.gridH());
        }
        if (f.imageEmbeds() != null) {
            o.printf("image_embeds [%d] norm %.4f, first %s%n", f.imageEmbeds().length, norm(f.imageEmbeds()), head(f.imageEmbeds()));
        }
        if (f.logits() != null) {
            o.printf("logits     %s%n", head(f.logits()));
        }
        if (f.pFake() != null) {
            o.printf("p_fake     %.4f%n", f.pFake());
        }
        o.printf("time       load %.0f ms, forward %.0f ms (use --json for all values)%n", m.loadSeconds() * 1e3, m.forwardSeconds() * 1e3);
        return 0;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * f;
        }
        return Math.sqrt(s);
    }

    private static String head(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(4, v.length); i++) {
            sb.append(i > 0 ? ", " : "").append(String.format("%.4f", v[i]));
        }
        return sb.append(v.length > 4 ? ", ...]" : "]").toString();
    }
}
