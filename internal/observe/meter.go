package observe

import (
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// MeterProvider returns an OpenTelemetry meter provider whose instruments
// appear in this registry: the database wrapper (otelsql) records query
// latency through OpenTelemetry's metric API, and OpenTelemetry's Prometheus
// exporter turns it into db_client_operation_duration_seconds here.
func (m *Metrics) MeterProvider() (metric.MeterProvider, error) {
	exp, err := otelprom.New(otelprom.WithRegisterer(m.reg), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, err
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), nil
}
