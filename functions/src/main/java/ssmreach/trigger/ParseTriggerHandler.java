package ssmreach.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import ssmreach.contract.Target;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/** First state: validates the trigger and names the target. Makes no AWS call. */
public class ParseTriggerHandler extends JsonHandler<JsonNode, Target> {
    private final Settings settings;
    private final TriggerParser parser;

    public ParseTriggerHandler() {
        this(Settings.fromEnvironment());
        primeBeforeSnapshot(settings);
    }

    public ParseTriggerHandler(Settings settings) {
        super(JsonNode.class);
        this.settings = settings;
        this.parser = new TriggerParser(settings);
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new ParseTriggerHandler(settings), twins);
    }

    @Override
    public Target handle(JsonNode input) {
        return parser.parse(input);
    }
}
