package ssmreach.instance;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ssm.SsmClient;
import ssmreach.contract.InstanceRegistration;
import ssmreach.contract.ProfileResult;
import ssmreach.contract.RegistrationRequest;
import ssmreach.contract.RegistrationState;
import ssmreach.core.Clients;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/**
 * One turn of the registration wait: asks SSM for the PingStatus of every instance worth waiting
 * for ({@link PingStatuses}) and keeps the moment each was first seen Online.
 */
public class CheckRegistrationHandler extends JsonHandler<RegistrationRequest, RegistrationState> {
    private final SsmClient ssm;
    private final Clock clock;

    public CheckRegistrationHandler() {
        this(Settings.fromEnvironment());
    }

    private CheckRegistrationHandler(Settings settings) {
        this(Clients.ssm(settings), Clock.systemUTC());
        primeBeforeSnapshot(settings);
    }

    public CheckRegistrationHandler(SsmClient ssm, Clock clock) {
        super(RegistrationRequest.class);
        this.ssm = ssm;
        this.clock = clock;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new CheckRegistrationHandler(twins.ssm(), clock), twins);
    }

    @Override
    public RegistrationState handle(RegistrationRequest request) {
        List<String> ids = request.profiles().stream().filter(ProfileResult::registrationExpected)
                .map(ProfileResult::instanceId).distinct().toList();
        Map<String, InstanceRegistration> previous = request.previous().stream()
                .collect(Collectors.toMap(InstanceRegistration::instanceId, Function.identity(), (a, b) -> a));
        Map<String, String> pings = PingStatuses.of(ssm, ids);
        Instant now = clock.instant();
        List<InstanceRegistration> statuses = new ArrayList<>();
        for (String id : ids) {
            String ping = pings.get(id);
            InstanceRegistration before = previous.get(id);
            String onlineAt = before != null && before.onlineAt() != null ? before.onlineAt()
                    : "Online".equals(ping) ? now.toString() : null;
            Long seconds = onlineAt == null || request.since() == null ? null
                    : Duration.between(Instant.parse(request.since()), Instant.parse(onlineAt)).toSeconds();
            statuses.add(new InstanceRegistration(id, ping, onlineAt, seconds));
        }
        List<String> notOnline = statuses.stream().filter(s -> !s.online()).map(InstanceRegistration::instanceId).toList();
        return new RegistrationState(statuses, notOnline.isEmpty(), notOnline);
    }
}
