import './components/herald-app/herald-app.js';
