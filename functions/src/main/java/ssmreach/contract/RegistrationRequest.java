package ssmreach.contract;

import java.util.List;

/** One turn of the registration wait: the profile step's results, the clock start, the last answer. */
public record RegistrationRequest(String since, List<ProfileResult> profiles, List<InstanceRegistration> previous) {
    public RegistrationRequest {
        profiles = profiles == null ? List.of() : List.copyOf(profiles);
        previous = previous == null ? List.of() : List.copyOf(previous);
    }
}
