"""The government cloud (政务云, R29-R34): providers and their service catalogs, units'
applications for cloud resources tied to the data their systems share, work orders to the
providers, trial and go-live."""
