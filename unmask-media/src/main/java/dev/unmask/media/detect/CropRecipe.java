package dev.unmask.media.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.UserError;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.crop.CropContract;
import dev.unmask.media.crop.ResizeKernel;
import dev.unmask.media.face.FaceDetectorKind;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How {@code detect} must crop faces for a detector: read from the crop contract its training
 * data declared, so that the faces it scores are cut as the faces it learned from. A detector
 * whose recipe detect cannot reproduce is refused, not run on crops of another kind.
 *
 * @param contract the training data's contract, or null when the detector declares none and the
 *                 user accepted this tool's default recipe
 */
public record CropRecipe(FaceDetectorKind faceDetector, double margin, int size, ResizeKernel kernel, Alignment alignment,
        CropContract contract) {
    /** This tool's default recipe (that of {@code unmask extract} without options). */
    public static CropRecipe assumed(FaceDetectorKind faceDetector) {
        return new CropRecipe(faceDetector, CropContract.DEFAULT_MARGIN, CropContract.DEFAULT_SIZE, ResizeKernel.AREA, Alignment.NONE,
                null);
    }

    public boolean declared() {
        return contract != null;
    }

    public PipelineConfig apply(PipelineConfig base) {
        return base.withCrop(margin, size, kernel).withAlignment(alignment);
    }

    /**
     * The recipe a detector's manifest declares. Accepts the contract itself or an
     * {@code unmask extract} settings file ({@code extract.json}) passed whole to
     * {@code train --crop-contract}, whose contract sits under {@code crop_contract}.
     *
     * @param ifUndeclared the recipe to use when the detector declares none, or null to refuse
     */
    public static CropRecipe of(JsonNode manifest, Path detectorFile, CropRecipe ifUndeclared) {
        JsonNode c = manifest.path("crop_contract");
        if (c.path("crop_contract").isObject()) {
            c = c.path("crop_contract");
        }
        if (!c.isObject() || !c.has("detector")) {
            if (ifUndeclared != null) {
                return ifUndeclared;
            }
            throw new UserError(detectorFile + ": the detector does not say how its training faces were cropped (trained without"
                    + " --crop-contract), so detect cannot make the same crops; retrain with --crop-contract EXTRACT_DIR/extract.json,"
                    + " or pass --assume-crop to use BlazeFace, margin 1.3, 224 px, area resize");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = new ObjectMapper().convertValue(c, Map.class);
        CropContract contract;
        try {
            contract = CropContract.fromMap(fields);
        } catch (UserError e) {
            throw new UserError(detectorFile + ": " + e.getMessage());
        }
        FaceDetectorKind kind;
        if (contract.detector().startsWith("blazeface")) {
            kind = FaceDetectorKind.BLAZEFACE;
        } else if (contract.detector().startsWith("haar")) {
            kind = FaceDetectorKind.HAAR;
        } else {
            throw new UserError(detectorFile + ": trained on faces found by \"" + contract.detector()
                    + "\"; detect finds faces with BlazeFace or Haar only, and other boxes would give other crops");
        }
        ResizeKernel kernel;
        try {
            kernel = ResizeKernel.parse(contract.resizeKernel());
        } catch (UserError e) {
            throw new UserError(detectorFile + ": trained on crops resized with \"" + contract.resizeKernel()
                    + "\", which detect cannot reproduce");
        }
        Alignment alignment;
        try {
            alignment = Alignment.parse(contract.alignment());
        } catch (UserError e) {
            throw new UserError(detectorFile + ": trained on crops aligned by \"" + contract.alignment()
                    + "\", which detect cannot reproduce");
        }
        if (alignment.needsKeypoints() && !kind.findsEyes()) {
            throw new UserError(detectorFile + ": trained on crops aligned on the eyes of faces found by \"" + contract.detector()
                    + "\", which finds no eyes; detect cannot reproduce them");
        }
        return new CropRecipe(kind, contract.margin(), contract.size(), kernel, alignment, contract);
    }

    /**
     * Refuses, in one line, when the crops an open pipeline makes (its detector's exact identity
     * included, e.g. the BlazeFace model's hash) differ from the declared ones in any field.
     */
    public void requireReproducedBy(CropContract made, Path detectorFile) {
        if (contract == null) {
            return;
        }
        List<String> d = made.differences(contract);
        if (!d.isEmpty()) {
            throw new UserError(detectorFile + ": detect cannot make the crops this detector was trained on (ours vs its: "
                    + String.join("; ", d) + ")");
        }
    }
}
