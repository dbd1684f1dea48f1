package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The whole state at the end of an execution, success or failure; any part after the trigger may
 * be missing, depending on how far the execution went. A batch's own state holds its groups and
 * its turn instead of a VPC's parts; a sweep's, its groups and how each VPC's execution ended.
 */
public record WorkflowState(
        JsonNode trigger,
        Target target,
        TargetGroups groups,
        Turn turn,
        VpcClassification classification,
        VpcReadiness vpc,
        EndpointsReport endpoints,
        @JsonProperty("wait") WaitState waitLoop,
        InstanceSelection instances,
        List<ProfileResult> profiles,
        RegistrationState registration,
        RegistrationWait registrationWait,
        Diagnosis diagnosis,
        List<VpcOutcome> vpcs,
        ErrorInfo error) {

    /** The endpoint wait loop: checks made so far, seconds between checks, the bound. */
    public record WaitState(int attempt, int seconds, int maxAttempts) {}

    /** The registration wait loop: seconds waited, the next interval (growing), the deadline, the last answer. */
    public record RegistrationWait(int elapsed, int seconds, int maxSeconds, int deadline, List<InstanceRegistration> previous) {}
}
