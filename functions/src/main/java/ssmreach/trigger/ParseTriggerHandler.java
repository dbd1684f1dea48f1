package ssmreach.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import ssmreach.contract.Target;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;

/** First state: validates the trigger and names the target. Makes no AWS call. */
public class ParseTriggerHandler extends JsonHandler<JsonNode, Target> {
    private final TriggerParser parser;

    public ParseTriggerHandler() {
        this(Settings.fromEnvironment());
    }

    public ParseTriggerHandler(Settings settings) {
        super(JsonNode.class);
        this.parser = new TriggerParser(settings);
    }

    @Override
    public Target handle(JsonNode input) {
        return parser.parse(input);
    }
}
