import Foundation

/// `MEMGRID_LOG_FORMAT`: `json` (one object per line, for log services) or `text` (for
/// people). Unset: text on a terminal, JSON otherwise (a container's log stream).
public enum LogFormat: String, Sendable {
    case json, text

    static var defaultForStandardError: LogFormat {
        isatty(STDERR_FILENO) == 1 ? .text : .json
    }
}
