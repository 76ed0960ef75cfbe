"""Estimators: observed rates, Erlang C/A, estimated wait and service-level risk."""
