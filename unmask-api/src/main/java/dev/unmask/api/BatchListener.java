package dev.unmask.api;

/**
 * Hears a batch of checks as it goes, on the thread that runs the batch: how many files are to
 * be done, then each file's report in input order as soon as it and every file before it are done.
 */
public interface BatchListener {
    BatchListener NONE = new BatchListener() {};

    /**
     * @param toDo       files this run will check
     * @param doneBefore files whose results an earlier run left (resumed), reported without work
     */
    default void started(int toDo, int doneBefore) {}

    /** @param earlier whether an earlier, resumed run made this report */
    default void fileDone(FileCheck check, boolean earlier) {}
}
