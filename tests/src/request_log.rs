//! Counts the DynamoDB requests a store sends, by operation, so a test can pin what a
//! webhook or a delivery costs.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use modelwatch::store::{Client, Store};

/// The operations sent, in order (`GetItem`, `PutItem`, …).
#[derive(Debug, Default, Clone)]
pub struct RequestLog(Arc<Mutex<Vec<String>>>);

impl RequestLog {
    /// A store on `table` (the emulator's, from the environment) whose requests land here.
    pub async fn store(&self, table: &str) -> Store {
        let config = aws_config::load_from_env().await;
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(&config)
            .interceptor(self.clone())
            .build();
        Store::new(Client::from_conf(dynamodb), table)
    }

    /// The operations so far, and forgets them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?")
            .trim_start_matches("DynamoDB_20120810.")
            .to_owned();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(target);
        Ok(())
    }
}
