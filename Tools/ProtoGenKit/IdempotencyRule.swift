// Which methods clients may retry without an idempotency key. The schema has no per-method
// flag we can rely on, so the rule is by name: reads and verifications start with a read verb.
// It is matched as a whole CamelCase word so that `CheckpointAudit` (which writes a checkpoint)
// is not taken for `Check`. An explicit `option idempotency_level = NO_SIDE_EFFECTS` (or
// `IDEMPOTENT`) on a method also marks it idempotent.

/// Decides `MethodDescriptor.isIdempotent` for generated descriptors.
public enum IdempotencyRule {
    /// Leading words that mark a read or verify method.
    public static let readVerbs = ["Get", "List", "Verify", "Check", "Watch"]

    /// The rule in one sentence, repeated in generated files.
    public static let summary = "A method is idempotent (safe to retry without an idempotency key) when its name "
        + "starts with the word Get, List, Verify, Check or Watch (a whole CamelCase word: `CheckpointAudit` does "
        + "not count) or when it declares `option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`."

    /// Whether `method` is safe to retry.
    public static func isIdempotent(_ method: MethodDecl) -> Bool {
        if method.declaredIdempotent { return true }
        return readVerbs.contains { startsWithWord(method.name, $0) }
    }

    /// `name` begins with `word` and the next character (if any) starts a new CamelCase word.
    static func startsWithWord(_ name: String, _ word: String) -> Bool {
        guard name.hasPrefix(word) else { return false }
        guard let next = name.dropFirst(word.count).first else { return true }
        return next.isUppercase || next.isNumber || next == "_"
    }
}
