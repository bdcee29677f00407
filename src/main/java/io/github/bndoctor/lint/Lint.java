package io.github.bndoctor.lint;

/**
 * One finding of {@link ConfigLints}.
 *
 * @param layer the BN layer concerned
 * @param rule the rule's identifier (one of the {@code ConfigLints} constants)
 * @param message what is wrong and why it matters
 */
public record Lint(String layer, String rule, String message) {
}
