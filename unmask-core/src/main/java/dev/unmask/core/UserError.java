package dev.unmask.core;

/**
 * A problem with what the user gave us (a file, a flag, a checkpoint) rather than a bug in Unmask.
 * The CLI prints its message as one line and exits with code 2; the message must therefore say
 * what is wrong and, where possible, what to do about it.
 */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
