// Package pipeline wires the detection stages together over IQ blocks:
// channelizer → noise floor → detector → classifier, with a short ring of
// raw samples so that the classifier can look at each burst's waveform.
// One Pipeline serves one receiver (one dongle, any number of hop centres).
package pipeline
