package dev.unmask.core;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/** What the memory-growth tests measure: resident memory outside the Java heap. */
public final class NativeMemory {
    private NativeMemory() {}

    /**
     * Resident memory outside the Java heap: libtorch's, FFmpeg's and OpenCV's share, plus the
     * JVM's own (stable after warm-up). The heap's resident pages are counted exactly, from the
     * heap's address range as the JVM reports it and the kernel's page map, since RSS minus the
     * committed heap grows while the JVM first touches heap pages it had already committed.
     */
    public static long nativeKiB() throws Exception {
        System.gc();
        Thread.sleep(50);
        String info = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "gcHeapInfo", new Object[] {null}, new String[] {String[].class.getName()});
        Matcher range = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+)\\)").matcher(info);
        if (!range.find()) {
            throw new IllegalStateException("no heap address range in: " + info);
        }
        long heapStart = Long.parseUnsignedLong(range.group(1), 16);
        long heapEnd = Long.parseUnsignedLong(range.group(2), 16);
        long total = 0;
        long heap = 0;
        boolean inHeap = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                inHeap = Long.compareUnsigned(start, heapStart) >= 0 && Long.compareUnsigned(start, heapEnd) < 0;
            } else if (line.startsWith("Rss:")) {
                long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                total += kib;
                heap += inHeap ? kib : 0;
            }
        }
        return total - heap;
    }

    public static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
