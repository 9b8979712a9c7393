package dev.unmask.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Media made by FFmpeg for the face-evidence rule: pictures without any face (fractals, cellular
 * automata, test patterns, gradients, noise, text, landscapes and cartoons drawn by filters) and
 * the test photos' faces at several scales, crops, lighting levels and JPEG qualities. Short and
 * small (256×192, 3 s at 8 fps), cached under target/test-media/generated.
 *
 * <p>Two disjoint sets of faceless media: {@link #facelessTuning()} chose the minimum face
 * confidence, {@link #facelessHeldOut()} tests it. They share generator families, never settings.
 */
public final class GeneratedMedia {
    private GeneratedMedia() {}

    /** A file to make: its name (the extension picks the format) and FFmpeg's input and filter arguments. */
    public record Recipe(String name, List<String> args) {
        public Path make() {
            return GeneratedMedia.make(this);
        }
    }

    private static final String SIZE = "256x192";
    private static Recipe lavfi(String name, String source) {
        return new Recipe(name, List.of("-f", "lavfi", "-i", sized(source)));
    }

    private static Recipe lavfi(String name, String source, String filter) {
        return new Recipe(name, List.of("-f", "lavfi", "-i", sized(source), "-vf", filter));
    }

    /** A source at the common size and rate, unless it sets its own. */
    private static String sized(String source) {
        if (source.contains("rate=")) {
            return source;
        }
        return source + (source.contains("=") ? ":" : "=") + "size=" + SIZE + ":rate=8";
    }

    private static Recipe photo(String name, String photo, String filter) {
        return new Recipe(name, List.of("-i", TestMedia.photo(photo).toString(), "-vf", filter));
    }

    /** A photo as a 3 s video, panning and zooming slowly (so that frames differ). */
    private static Recipe photoVideo(String name, String photo, String size) {
        return new Recipe(name, List.of("-loop", "1", "-framerate", "8", "-t", "3", "-i", TestMedia.photo(photo).toString(), "-vf",
                "zoompan=z='1+0.01*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=" + size + ":fps=8"));
    }

    private static String font() {
        Path f = Path.of("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
        return Files.isRegularFile(f) ? "fontfile=" + f + ":" : "";
    }

    /** Faceless media the confidence threshold was chosen on. */
    public static List<Recipe> facelessTuning() {
        List<Recipe> r = new ArrayList<>();
        r.add(lavfi("t-mandelbrot-zoom.mp4", "mandelbrot=maxiter=400:end_pts=60"));
        r.add(lavfi("t-mandelbrot-slow.mp4", "mandelbrot=maxiter=300:start_scale=2:end_scale=0.5"));
        r.add(lavfi("t-cellauto-30.mp4", "cellauto=rule=30:scroll=1"));
        r.add(lavfi("t-cellauto-110.mp4", "cellauto=rule=110:random_fill_ratio=0.5:random_seed=7"));
        r.add(lavfi("t-life-1.mp4", "life=seed=1:ratio=0.3:mold=10"));
        r.add(lavfi("t-life-2.mp4", "life=seed=2:ratio=0.5:life_color=#ffcc88:death_color=#402010:mold=25"));
        r.add(lavfi("t-testsrc.mp4", "testsrc"));
        r.add(lavfi("t-smptebars.mp4", "smptebars"));
        r.add(lavfi("t-rgbtestsrc.mp4", "rgbtestsrc"));
        r.add(lavfi("t-gradients-1.mp4", "gradients=seed=1:speed=0.05"));
        r.add(lavfi("t-sierpinski.mp4", "sierpinski=seed=1"));
        r.add(lavfi("t-noise.mp4", "color=c=gray", "noise=alls=80:allf=t+u:all_seed=1"));
        r.add(lavfi("t-text.mp4", "color=c=white", "drawtext=" + font() + "text='Quarterly results':fontsize=28:x=w-40*t:y=80"));
        r.add(lavfi("t-mptestsrc.mp4", "mptestsrc=rate=8", "scale=256:192"));
        r.add(lavfi("t-colorspectrum.mp4", "colorspectrum=type=all"));
        r.add(photoVideo("t-coffee.mp4", "coffee.png", SIZE));
        r.add(photoVideo("t-rocket.mp4", "rocket.jpg", SIZE));
        r.add(lavfi("t-pal75bars.png", "pal75bars"));
        r.add(lavfi("t-mandelbrot.png", "mandelbrot=maxiter=400:start_scale=0.2"));
        r.add(photo("t-coffee.jpg", "coffee.png", "scale=320:-2"));
        for (int seed = 60; seed < 76; seed++) {
            r.add(colourClouds("t-clouds-" + seed + ".mp4", 5 + seed % 3, seed));
        }
        return r;
    }

    /**
     * Coloured clouds: blurred colour noise, every frame new, 4 s. Of all the faceless pictures
     * tried, the one on which BlazeFace most often sees a face: in 13 of 16 such videos, a face in
     * one of 32 frames with confidence 0.60–0.71.
     */
    private static Recipe colourClouds(String name, int sigma, int seed) {
        return new Recipe(name, List.of("-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=8", "-vf", "noise=c0s=100:c1s=100:c2s=100"
                + ":allf=t:all_seed=" + seed + ",gblur=sigma=" + sigma + ",eq=contrast=4:saturation=2", "-t", "4"));
    }

    /** Faceless media the chosen rule is tested on: the same kinds of picture made with other settings. */
    public static List<Recipe> facelessHeldOut() {
        List<Recipe> r = new ArrayList<>();
        r.add(lavfi("mandelbrot-deep.mp4", "mandelbrot=maxiter=500:start_scale=1.5:end_scale=0.001:end_pts=40"));
        r.add(lavfi("mandelbrot-seahorse.mp4", "mandelbrot=maxiter=300:start_x=-0.75:start_y=0.1:start_scale=0.5:end_scale=0.01:end_pts=30"
                + ":inner=period:outer=normalized_iteration_count"));
        r.add(lavfi("mandelbrot-still-zoom.mp4", "mandelbrot=maxiter=200:start_x=0.28:start_y=0.01:start_scale=0.1:end_scale=0.02"
                + ":inner=convergence"));
        r.add(lavfi("cellauto-18.mp4", "cellauto=rule=18:random_fill_ratio=0.3:random_seed=3"));
        r.add(lavfi("cellauto-90.mp4", "cellauto=rule=90:scroll=1"));
        r.add(lavfi("cellauto-150.mp4", "cellauto=rule=150:random_fill_ratio=0.6:random_seed=11:stitch=0"));
        r.add(lavfi("life-3.mp4", "life=seed=3:ratio=0.1:mold=5"));
        r.add(lavfi("life-4.mp4", "life=seed=4:ratio=0.7:life_color=#00ff00:death_color=#ff0000:mold=40"));
        r.add(lavfi("testsrc2.mp4", "testsrc2"));
        r.add(lavfi("smptehdbars.mp4", "smptehdbars"));
        r.add(lavfi("pal100bars.mp4", "pal100bars"));
        r.add(lavfi("colorchart.mp4", "colorchart=rate=8:patch_size=40x40", "scale=256:192"));
        r.add(lavfi("yuvtestsrc.mp4", "yuvtestsrc"));
        r.add(lavfi("gradients-2.mp4", "gradients=seed=2:speed=0.2:n=5"));
        r.add(lavfi("gradients-3.mp4", "gradients=seed=3:type=radial:speed=0.1"));
        r.add(lavfi("gradients-4.mp4", "gradients=seed=4:type=circular:n=8"));
        r.add(lavfi("sierpinski-triangle.mp4", "sierpinski=seed=2:type=triangle:jump=50"));
        r.add(lavfi("noise-gradients.mp4", "gradients=seed=5", "noise=alls=40:allf=t:all_seed=5"));
        r.add(lavfi("noise-dark.mp4", "color=c=black", "noise=c0s=100:c1s=20:c2s=20:allf=t:all_seed=9"));
        r.add(lavfi("text-headline.mp4", "color=c=navy", "drawtext=" + font()
                + "text='BREAKING NEWS':fontsize=36:fontcolor=white:x=w-60*t:y=h/2"));
        r.add(lavfi("text-credits.mp4", "color=c=black", "drawtext=" + font()
                + "text='Directed by A. Smith':fontsize=20:fontcolor=yellow:x=20:y=h-30*t"));
        r.add(lavfi("text-big.mp4", "color=c=beige", "drawtext=" + font() + "text='O O':fontsize=90:fontcolor=black:x=30+5*t:y=40"));
        // A landscape: sky fading to the horizon over rolling green hills, the hills drifting.
        r.add(lavfi("landscape-hills.mp4", "nullsrc", "geq=r='if(gt(Y,H*0.55+18*sin(X/25+T)),40,120+Y/2)'"
                + ":g='if(gt(Y,H*0.55+18*sin(X/25+T)),130+20*sin(X/7),170+Y/3)':b='if(gt(Y,H*0.55+18*sin(X/25+T)),40,240)'"));
        r.add(lavfi("landscape-sunset.mp4", "nullsrc", "geq=r='255-Y/2':g='120-Y/3+40*lt(hypot(X-128,Y-120-5*T),25)*3'"
                + ":b='60+Y/3*gt(Y,130)'"));
        // A cartoon: bright shapes bouncing on a plain background.
        r.add(lavfi("cartoon-shapes.mp4", "color=c=skyblue", "drawbox=x='20+20*t':y=40:w=60:h=60:c=red:t=fill,"
                + "drawbox=x=150:y='100-15*t':w=50:h=70:c=yellow:t=fill,drawbox=x=90:y=140:w=120:h=20:c=green:t=fill"));
        r.add(lavfi("cartoon-blobs.mp4", "nullsrc", "geq=r='255*lt(hypot(X-80-10*T,Y-90),40)':g='200*lt(hypot(X-180,Y-60+8*T),30)'"
                + ":b='180+60*lt(hypot(X-128,Y-150),35)'"));
        r.add(lavfi("testsrc2.png", "testsrc2"));
        r.add(lavfi("mandelbrot-detail.jpg", "mandelbrot=maxiter=300:start_x=-0.1:start_y=0.65:start_scale=0.05"));
        r.add(lavfi("cellauto.png", "cellauto=rule=126:random_fill_ratio=0.5:random_seed=2"));
        r.add(lavfi("life.png", "life=seed=9:ratio=0.4"));
        r.add(lavfi("gradients.jpg", "gradients=seed=12:n=3"));
        r.add(lavfi("noise.png", "color=c=gray", "noise=alls=100:allf=u:all_seed=4"));
        for (int seed = 80; seed < 84; seed++) {
            r.add(colourClouds("clouds-" + seed + ".mp4", 5 + seed % 3, seed));
        }
        return r;
    }

    /** 3 s of coloured clouds with the astronaut's face in the first quarter second only: a face seen once or twice. */
    public static Recipe faceFlash() {
        return new Recipe("face-flash.mp4", List.of("-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=8", "-i",
                TestMedia.photo("astronaut.png").toString(), "-filter_complex", "[1]scale=200:200[face];[0]noise=c0s=100:c1s=100:c2s=100"
                        + ":allf=t:all_seed=3,gblur=sigma=30[bg];[bg][face]overlay=60:20:enable='lt(t,0.2)'"));
    }

    /** The test photos' faces (astronaut, camera) at several scales, crops, lighting levels and JPEG qualities, and videos of them. */
    public static List<Recipe> faces() {
        List<Recipe> r = new ArrayList<>();
        r.add(photo("face-astronaut-small.png", "astronaut.png", "scale=256:256"));
        r.add(photo("face-astronaut-large.jpg", "astronaut.png", "scale=1024:1024"));
        r.add(photo("face-astronaut-closeup.png", "astronaut.png", "crop=220:260:140:40"));
        r.add(photo("face-astronaut-dark.png", "astronaut.png", "eq=brightness=-0.3:contrast=0.7"));
        r.add(photo("face-astronaut-bright.png", "astronaut.png", "eq=brightness=0.2:gamma=1.4"));
        r.add(new Recipe("face-astronaut-q2.jpg", List.of("-i", TestMedia.photo("astronaut.png").toString(), "-q:v", "25")));
        r.add(photo("face-astronaut-gray.jpg", "astronaut.png", "format=gray,scale=400:400"));
        r.add(photo("face-astronaut-padded.png", "astronaut.png", "scale=300:300,pad=800:600:250:150:black"));
        r.add(photo("face-camera.png", "camera.png", "null"));
        r.add(photo("face-camera-small.jpg", "camera.png", "scale=320:320"));
        r.add(photoVideo("face-astronaut.mp4", "astronaut.png", "320x320"));
        r.add(photoVideo("face-camera.mp4", "camera.png", "320x320"));
        r.add(new Recipe("face-astronaut-dark.mp4", List.of("-loop", "1", "-framerate", "8", "-t", "3", "-i",
                TestMedia.photo("astronaut.png").toString(), "-vf", "scale=320:320,eq=brightness=-0.25,noise=alls=20:allf=t:all_seed=3")));
        return r;
    }

    static synchronized Path make(Recipe recipe) {
        TestMedia.requireFfmpeg();
        Path dir = TestMedia.dir().resolve("generated");
        Path target = dir.resolve(recipe.name());
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        String ext = recipe.name().substring(recipe.name().lastIndexOf('.') + 1);
        Path tmp = dir.resolve(".tmp-" + recipe.name());
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"));
        cmd.addAll(recipe.args());
        if (ext.equals("mp4")) {
            cmd.addAll(Arrays.asList(recipe.args().contains("-t") ? "-y" : "-t", recipe.args().contains("-t") ? "-y" : "3", "-r", "8", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4"));
        } else {
            cmd.addAll(Arrays.asList("-frames:v", "1", "-update", "1", "-f", "image2"));
        }
        cmd.add(tmp.toString());
        TestMedia.run(cmd.toArray(String[]::new));
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return target;
    }
}
