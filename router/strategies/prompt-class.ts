import { promptText } from '../classifier/prompt-text.js';
import type { Classifier } from '../core/strategy.js';
import type { Endpoint, RouteRequest } from '../core/types.js';

/** A request's prompt class and the classifier's confidence in it (undefined when the caller gave the class). */
export type Classified = { label: string; confidence: number | undefined };

/**
 * A request's prompt class: request.promptClass when given, else the classifier's label,
 * computed once per request (retries and failovers pick again for the same request).
 * `classifier` is called on first need, so a strategy may load the model lazily.
 */
export function requestClassOf(classifier: () => Classifier): (request: RouteRequest) => Classified {
  const seen = new WeakMap<RouteRequest, Classified>();
  return (request) => {
    if (request.promptClass) return { label: request.promptClass, confidence: undefined };
    let r = seen.get(request);
    if (!r) {
      const out = classifier().classify(promptText(request));
      r = { label: out.label, confidence: out.scores[out.label] };
      seen.set(request, r);
    }
    return r;
  };
}

/** Is the endpoint fit for the class: it declares no classes (fit for all), or this one among them. */
export function fitForClass(endpoint: Endpoint, label: string): boolean {
  return endpoint.classes.length === 0 || endpoint.classes.includes(label);
}
