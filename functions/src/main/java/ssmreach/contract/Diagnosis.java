package ssmreach.contract;

import java.util.List;

/** Findings per instance, in the manner of AWSSupport-TroubleshootManagedInstance. */
public record Diagnosis(List<InstanceDiagnosis> instances) {
    public Diagnosis {
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    /** One instance's checks: each failed check is a finding; {@code passed} names the checks that passed. */
    public record InstanceDiagnosis(String instanceId, String pingStatus, List<String> passed, List<Finding> findings) {
        public InstanceDiagnosis {
            passed = passed == null ? List.of() : List.copyOf(passed);
            findings = findings == null ? List.of() : List.copyOf(findings);
        }
    }
}
