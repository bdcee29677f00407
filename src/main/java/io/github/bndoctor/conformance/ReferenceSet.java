package io.github.bndoctor.conformance;

import java.util.List;

/**
 * A whole generated reference document.
 *
 * @param torchVersion {@code torch.__version__} of the generator
 * @param torchPackage Debian package version of python3-torch, when known
 * @param seed generation seed
 * @param cases the BatchNorm cases
 * @param trajectory the conv+BN SGD trajectory
 */
public record ReferenceSet(String torchVersion, String torchPackage, long seed, List<BnReferenceCase> cases,
        ReferenceTrajectory trajectory) {

    /** The case called {@code name}. */
    public BnReferenceCase caseNamed(String name) {
        return cases.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no reference case " + name));
    }
}
