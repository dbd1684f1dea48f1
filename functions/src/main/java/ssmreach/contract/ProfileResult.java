package ssmreach.contract;

import java.util.List;

/**
 * One instance after the profile step. {@code profileAction}: {@code associated} (the stack's
 * profile), {@code existing-ok}, {@code policy-attached} (AmazonSSMManagedInstanceCore added to the
 * existing role), {@code reported} (existing role lacks permissions; left as it is),
 * {@code not-running}, {@code gone}. {@code registrationExpected}: worth waiting for Online.
 */
public record ProfileResult(String instanceId, String subnetId, String state, String profileArn, String profileAction,
                            boolean registrationExpected, List<Action> actions, List<Finding> findings) {
    public ProfileResult {
        actions = actions == null ? List.of() : List.copyOf(actions);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }
}
