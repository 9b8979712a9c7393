package dev.unmask.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Map;

/**
 * What a loaded detector is, as reports name it.
 *
 * @param path                 the detector file (absolute)
 * @param approach             probe, finetune or lntune
 * @param features             the head's feature variant
 * @param threshold            score at or above which a file is fake (chosen at the validation EER)
 * @param backbone             the backbone's name
 * @param backboneSha256       SHA-256 of the backbone's weights the detector was trained on
 * @param cropContract         how faces are found and cropped, as check reproduces it
 * @param cropContractDeclared whether the detector declared its crops (false: assumed)
 * @param validationEer        the EER on its validation data when its threshold was chosen, or null
 *                             when the file does not record one
 * @param source               where an imported detector came from (a GenD detector: Hub repo and commit when pulled,
 *                             every file's SHA-256, the backbone repo, paper, code and the weights' licence), or null
 *                             for a detector trained by Unmask
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DetectorInfo(String path, String approach, String features, double threshold, String backbone, String backboneSha256,
        Map<String, Object> cropContract, boolean cropContractDeclared, Double validationEer, Map<String, Object> source) {}
