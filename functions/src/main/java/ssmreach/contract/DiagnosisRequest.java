package ssmreach.contract;

import java.util.List;

/** The instances to diagnose: those not Online by the deadline, or those asked for. */
public record DiagnosisRequest(List<String> instanceIds) {
    public DiagnosisRequest {
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
    }
}
