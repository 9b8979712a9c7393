package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.checkpoint.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Grad-CAM against what it is for, against autograd, and against where the network looks.
 * The backbones are the golden checkpoints (random weights): nothing in them knows about the
 * marks, so only the head and the spatial structure of the features can put the peak there.
 */
class GradCamTest {
    private static final int SIZE = 128;
    /** Both final maps are 4x4 at this size (stride 32). */
    private static final int CELL = 32;
    /** The marked region: one quadrant of the image. */
    private static final int MARK = 64;
    private static NDManager manager;
    private static final Map<String, SafeTensors> WEIGHTS = new LinkedHashMap<>();
    private static ConvNet xception;
    private static ConvNet effnet;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
        xception = golden("xception_f16");
        effnet = golden("effnet_b0");
    }

    private static ConvNet golden(String name) {
        GoldenCase golden = new GoldenCase(name);
        SafeTensors w = SafeTensors.openDirectory(golden.dir);
        WEIGHTS.put(name, w);
        return ConvNets.load(golden.architecture(), golden.config, w, manager);
    }

    @AfterAll
    static void stop() {
        xception.close();
        effnet.close();
        WEIGHTS.values().forEach(SafeTensors::close);
        manager.close();
    }

    /**
     * A head trained with a few SGD steps to tell images with a marked quadrant from images
     * without; explaining its "marked" class must put the peak in the marked quadrant, for each
     * quadrant. (Xception: with random weights, EfficientNet's squeeze-excitation turns a local
     * mark into a global change of every cell, so no explanation of it could be local.)
     */
    @Test
    void peakFallsInsideTheRegionATrainedHeadRespondsTo() {
        ConvNet net = xception;
        Random random = new Random(7);
        int n = 48;
        float[][] images = new float[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            images[i] = background(random);
            if (labels[i] == 1) {
                mark(images[i], MARK * random.nextInt(2), MARK * random.nextInt(2));
            }
        }
        Head head = train(features(net, images), labels, net.numFeatures());

        int[][] marks = {{0, 0}, {0, MARK}, {MARK, 0}, {MARK, MARK}};
        try (NDManager scope = manager.newSubManager()) {
            float[] batch = new float[marks.length * 3 * SIZE * SIZE];
            for (int p = 0; p < marks.length; p++) {
                float[] img = background(random);
                mark(img, marks[p][0], marks[p][1]);
                System.arraycopy(img, 0, batch, p * img.length, img.length);
            }
            NDArray input = scope.create(batch, new Shape(marks.length, 3, SIZE, SIZE));
            float[][][] cams = net.gradCam(input, head.weight(scope), head.bias(scope), 1);

            assertThat(cams).hasNumberOfRows(marks.length);
            for (int p = 0; p < marks.length; p++) {
                assertThat(cams[p]).hasNumberOfRows(SIZE);
                assertThat(cams[p][0]).hasSize(SIZE);
                int[] peak = argmax(cams[p]);
                assertThat(peak[0]).as("peak row, mark at %s", Arrays.toString(marks[p]))
                        .isBetween(marks[p][0], marks[p][0] + MARK - 1);
                assertThat(peak[1]).as("peak column, mark at %s", Arrays.toString(marks[p]))
                        .isBetween(marks[p][1], marks[p][1] + MARK - 1);
                for (float[] row : cams[p]) {
                    for (float v : row) {
                        assertThat(v).isBetween(0f, 1f);
                    }
                }
            }
        }
    }

    @Test
    void closedFormWeightsEqualAutogradGradientWeighting() {
        ConvNet net = effnet;
        Random random = new Random(11);
        float[] w = new float[2 * net.numFeatures()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        try (NDManager scope = manager.newSubManager()) {
            float[] img = background(random);
            mark(img, 30, 50);
            NDArray input = scope.create(img, new Shape(1, 3, SIZE, SIZE));
            NDArray weight = scope.create(w, new Shape(2, net.numFeatures()));
            NDArray bias = scope.create(new float[] {0.3f, -0.2f});
            float[][] cam = net.gradCam(input, weight, bias, 0)[0];

            NDArray map = net.featureMap(input);
            map.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray pooled = map.mean(new int[] {3}).mean(new int[] {2});
                NDArray score = pooled.matMul(weight.get(0).reshape(-1, 1)).add(bias.get(0));
                gc.backward(score.sum());
            }
            NDArray alpha = map.getGradient().mean(new int[] {3}, true).mean(new int[] {2}, true);
            float[] cells = Activation.relu(map.mul(alpha).sum(new int[] {1})).toFloatArray();
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : cells) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            // With symmetric padding cell (i, j) is centred on pixel (32i, 32j) (see the receptive
            // field test), where interpolation returns the cell's own value.
            int side = SIZE / CELL;
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    float expected = (cells[i * side + j] - min) / (max - min);
                    assertThat(cam[i * CELL][j * CELL]).as("cell %d,%d", i, j).isCloseTo(expected, within(1e-5f));
                }
            }
        }
    }

    @Test
    void heatMapCellsSitOnTheCentresOfTheirReceptiveFields(@TempDir Path tmp) throws IOException {
        for (String name : List.of("effnet_b0", "effnetv2_b0_tf")) {
            GoldenCase golden = new GoldenCase(name);
            Path dir = Files.createDirectories(tmp.resolve(name));
            writeBlurCheckpoint(golden.dir, dir);
            try (SafeTensors w = SafeTensors.openDirectory(dir);
                    ConvNet blur = ConvNets.load(golden.architecture(), golden.config, w, manager)) {
                assertCellSitsOnItsReceptiveFieldCentre(blur);
            }
        }
    }

    /**
     * The golden checkpoint with every kernel a positive box, BatchNorm the identity and SE gates
     * open: a network whose receptive fields are symmetric bumps, except for what padding does,
     * which is exactly what the heat map's geometry must get right.
     */
    private static void writeBlurCheckpoint(Path from, Path to) throws IOException {
        Map<String, SafeTensorsWriter.Tensor> out = new LinkedHashMap<>();
        try (SafeTensors w = SafeTensors.openDirectory(from)) {
            for (TensorInfo t : w.tensors().values()) {
                float[] v = new float[(int) t.numel()];
                String n = t.name();
                if (n.contains(".se.conv_expand.bias")) {
                    Arrays.fill(v, 20f);
                } else if (n.contains(".se.") || n.startsWith("classifier") || n.endsWith("running_mean")
                        || n.endsWith(".bias")) {
                    Arrays.fill(v, 0f);
                } else if (t.shape().length == 4) {
                    Arrays.fill(v, 1f / (t.shape()[1] * t.shape()[2] * t.shape()[3]));
                } else {
                    Arrays.fill(v, 1f);
                }
                out.put(n, new SafeTensorsWriter.Tensor(t.shape(), v));
            }
        }
        SafeTensorsWriter.write(to.resolve("model.safetensors"), out, Map.of());
    }

    /**
     * In a strip of 64 x 2048 pixels the middle cell's receptive field ends well inside the
     * image along x, so along x it is symmetric about the cell's true centre and its centroid
     * is that centre exactly; gradCam must place the cell there. A plain resize would put it
     * half a stride (15.5 px) to one side.
     */
    private static void assertCellSitsOnItsReceptiveFieldCentre(ConvNet model) {
        int height = 64;
        int width = 2048;
        Trace grid = new Trace(height, width);
        model.trace(grid);
        int cell = grid.size[1] / 2;
        double centre = grid.offset[1] + grid.stride[1] * cell;
        double naive = grid.stride[1] / 2 - 0.5 + grid.stride[1] * cell;
        try (NDManager scope = manager.newSubManager()) {
            // At zero input every SiLU has slope 1/2: the network is linear, its gradient is
            // its receptive field, and exactly zero outside it.
            NDArray input = scope.zeros(new Shape(1, 3, height, width));
            input.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray map = model.featureMap(input);
                gc.backward(map.get(":, :, 0, " + cell).sum());
            }
            float[] columns = input.getGradient().abs().sum(new int[] {0, 1, 2}).toFloatArray();
            double total = 0;
            double cx = 0;
            for (int x = 0; x < width; x++) {
                total += columns[x];
                cx += columns[x] * x;
            }
            cx /= total;
            System.out.printf("%s: cell %d placed at %.1f (a plain resize: %.1f), receptive field centroid %.3f%n",
                    model.architecture(), cell, centre, naive, cx);
            assertThat(columns[0]).as("receptive field inside the strip").isZero();
            assertThat(columns[width - 1]).as("receptive field inside the strip").isZero();
            assertThat(cx).isCloseTo(centre, within(0.05));
            assertThat(Math.abs(naive - centre)).isGreaterThan(10.0);
        }
    }

    /** Smooth noise: a random level per channel plus small per-pixel noise, already normalised. */
    private static float[] background(Random random) {
        float[] img = new float[3 * SIZE * SIZE];
        for (int c = 0; c < 3; c++) {
            float level = (float) (random.nextGaussian() * 0.5);
            for (int i = 0; i < SIZE * SIZE; i++) {
                img[c * SIZE * SIZE + i] = level + (float) (random.nextGaussian() * 0.3);
            }
        }
        return img;
    }

    /** A high-contrast checkerboard square, MARK pixels wide, with its top-left corner at (top, left). */
    private static void mark(float[] img, int top, int left) {
        for (int c = 0; c < 3; c++) {
            for (int y = top; y < top + MARK; y++) {
                for (int x = left; x < left + MARK; x++) {
                    img[(c * SIZE + y) * SIZE + x] = ((x / 4 + y / 4) % 2 == 0) ? 2f : -2f;
                }
            }
        }
    }

    private static float[] features(ConvNet net, float[][] images) {
        int f = net.numFeatures();
        float[] out = new float[images.length * f];
        int batch = 8;
        for (int start = 0; start < images.length; start += batch) {
            try (NDManager scope = manager.newSubManager()) {
                float[] data = new float[batch * images[0].length];
                for (int i = 0; i < batch; i++) {
                    System.arraycopy(images[start + i], 0, data, i * images[0].length, images[0].length);
                }
                NDArray pooled = net.forward(scope.create(data, new Shape(batch, 3, SIZE, SIZE)), 0).pooled();
                System.arraycopy(pooled.toFloatArray(), 0, out, start * f, batch * f);
            }
        }
        return out;
    }

    private record Head(float[] w, float[] b, int features) {
        NDArray weight(NDManager m) {
            return m.create(w, new Shape(2, features));
        }

        NDArray bias(NDManager m) {
            return m.create(b);
        }
    }

    /**
     * Plain SGD on softmax cross-entropy with DJL autograd, head initialised N(0, 0.01) as in
     * the paper's Approach 1, until every training image is classified right.
     */
    private static Head train(float[] features, int[] labels, int f) {
        int n = labels.length;
        Random random = new Random(3);
        float[] w = new float[2 * f];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 0.01);
        }
        float[] b = new float[2];
        float[] oneHot = new float[n * 2];
        for (int i = 0; i < n; i++) {
            oneHot[i * 2 + labels[i]] = 1f;
        }
        float lr = 0.02f;
        for (int step = 0; step < 2000; step++) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = scope.create(features, new Shape(n, f));
                NDArray weight = scope.create(w, new Shape(2, f));
                NDArray bias = scope.create(b);
                weight.setRequiresGradient(true);
                bias.setRequiresGradient(true);
                NDArray logits;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    logits = x.matMul(weight.transpose()).add(bias);
                    NDArray loss = logits.logSoftmax(1).mul(scope.create(oneHot, new Shape(n, 2))).sum().neg().div(n);
                    gc.backward(loss);
                }
                float[] gw = weight.getGradient().toFloatArray();
                float[] gb = bias.getGradient().toFloatArray();
                if (accuracy(logits.toFloatArray(), labels) == 1.0 && step > 0) {
                    return new Head(w, b, f);
                }
                for (int i = 0; i < w.length; i++) {
                    w[i] -= lr * gw[i];
                }
                b[0] -= lr * gb[0];
                b[1] -= lr * gb[1];
            }
        }
        throw new AssertionError("the head did not learn to separate marked from unmarked images");
    }

    private static double accuracy(float[] logits, int[] labels) {
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            int predicted = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
            right += predicted == labels[i] ? 1 : 0;
        }
        return (double) right / labels.length;
    }

    private static int[] argmax(float[][] map) {
        int[] best = {0, 0};
        for (int y = 0; y < map.length; y++) {
            for (int x = 0; x < map[y].length; x++) {
                if (map[y][x] > map[best[0]][best[1]]) {
                    best = new int[] {y, x};
                }
            }
        }
        return best;
    }
}
