package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * A backbone's features for one image, as the research code computes them. It is
 * {@code unmask features --json} (schema {@code docs/schema/features-report.schema.json}).
 * ViTs fill the ViT fields, ConvNets {@code features}; a GenD detector {@code features} (its
 * backbone's final normed CLS), {@code logits} and {@code p_fake}; what a model does not have is absent.
 *
 * @param clsFinal       the final normed CLS token
 * @param clsLast4       the CLS of each of the last min(4, depth) blocks through the final norm
 * @param patchMeanFinal the mean of the final normed patch tokens
 * @param attnLastCls    last block's attention, CLS query to patch keys, [heads][patches]
 * @param regFinal       final normed register tokens
 * @param logits         the checkpoint's own classifier output, where it has one
 * @param imageEmbeds    CLIP's image embedding (final normed CLS through the visual projection), where the checkpoint has one
 * @param tokensFinal    every final normed token, when asked for
 * @param features       a ConvNet's pooled pre-classifier features, or the features a GenD head reads
 * @param pFake          a GenD detector's P(fake) = softmax(logits)[1]
 * @param model          what ran, in words (not in the JSON)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schema_version", "cls_final", "cls_last4", "patch_mean_final", "attn_last_cls", "reg_final", "logits", "image_embeds", "tokens_final", "features", "p_fake"})
public record FeatureReport(int schemaVersion, float[] clsFinal, float[][] clsLast4, float[] patchMeanFinal, float[][] attnLastCls,
        float[][] regFinal, float[] logits, float[] imageEmbeds, float[][] tokensFinal, float[] features, Double pFake, @JsonIgnore Model model) {

    /**
     * @param description family and sizes in words
     * @param gridW       patches across (0 for ConvNets)
     * @param gridH       patches down
     * @param loadSeconds reading the weights
     * @param forwardSeconds the forward pass
     */
    public record Model(String description, int width, int height, int gridW, int gridH, double loadSeconds, double forwardSeconds) {}
}
