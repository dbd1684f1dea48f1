package ssmreach.contract;

import java.util.List;

/**
 * The registration of every instance worth waiting for; {@code allOnline} ends the wait, and
 * {@code notOnline} is what the diagnosis gets when the deadline passes first.
 */
public record RegistrationState(List<InstanceRegistration> statuses, boolean allOnline, List<String> notOnline) {
    public RegistrationState {
        statuses = statuses == null ? List.of() : List.copyOf(statuses);
        notOnline = notOnline == null ? List.of() : List.copyOf(notOnline);
    }
}
