package ssmreach.contract;

import java.util.List;

/**
 * One instance after the profile step. {@code profileAction}: {@code associated} (the stack's
 * profile), {@code existing-ok}, {@code policy-attached} (AmazonSSMManagedInstanceCore added to the
 * existing role), {@code reported} (existing role lacks permissions; left as it is),
 * {@code not-running}, {@code gone}, or {@code failed}: the step failed for this instance alone
 * ({@code error}, from the workflow's per-instance Catch), and the other instances went on.
 * {@code registrationExpected}: worth waiting for Online.
 */
public record ProfileResult(String instanceId, String subnetId, String state, String profileArn, String profileAction,
                            boolean registrationExpected, List<Action> actions, List<Finding> findings, ErrorInfo error) {
    public ProfileResult {
        actions = actions == null ? List.of() : List.copyOf(actions);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }

    /** A result of the step itself (no error). */
    public ProfileResult(String instanceId, String subnetId, String state, String profileArn, String profileAction,
                         boolean registrationExpected, List<Action> actions, List<Finding> findings) {
        this(instanceId, subnetId, state, profileArn, profileAction, registrationExpected, actions, findings, null);
    }
}
