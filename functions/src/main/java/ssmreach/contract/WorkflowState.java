package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The whole state at the end of an execution, success or failure; any part after the trigger may
 * be missing, depending on how far the execution went.
 */
public record WorkflowState(
        JsonNode trigger,
        Target target,
        VpcClassification classification,
        VpcReadiness vpc,
        EndpointsReport endpoints,
        @JsonProperty("wait") WaitState waitLoop,
        ErrorInfo error) {

    /** The bounded wait loop: checks made so far, seconds between checks, the bound. */
    public record WaitState(int attempt, int seconds, int maxAttempts) {}
}
